# Two commands matter: `make run` and `make test`. Everything else is a step they use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

RASA_VENV := .venv-rasa
APP_VENV  := .venv
RASA      := $(RASA_VENV)/bin/rasa
PY        := $(APP_VENV)/bin/python
MODEL     := models/current.tar.gz
# The pretrained sentence encoder of the NLU pipeline (scripts/fetch_minilm_encoder.py).
ENCODER   := $(RASA_VENV)/share/minilm-l6-v2
TRAINING_INPUTS := $(shell find data -type f -name '*.yml' 2>/dev/null) $(wildcard nlu_components/*.py) domain.yml config.yml

export PYTHONDONTWRITEBYTECODE := 1
# Rasa's anonymous usage reporting would try to reach the internet.
export RASA_TELEMETRY_ENABLED := false
export ACTION_ENDPOINT_URL ?= http://localhost:5055/webhook
# endpoints.yml: Rasa's trackers survive an engine restart; one engine needs no shared lock.
export TRACKER_STORE_URL ?= sqlite:///var/rasa_trackers.sqlite3
export LOCK_STORE_TYPE ?= in_memory
export LOCK_STORE_URL ?= localhost
export LOCK_STORE_PORT ?= 6379

.PHONY: help setup run chat staff train lint test test-unit test-stories validate bench bench-nlu bench-telemetry bench-gateway bench-chaos clean

help:
	@echo "make run    - set up on first use, train if stale, start engine + actions + gateway"
	@echo "make chat   - talk to the running assistant in this terminal"
	@echo "make staff  - answer handoffs from make chat in another terminal (the staff desk)"
	@echo "make test   - lint, type-check, unit/integration tests, data validation, training, story tests"
	@echo "make bench  - benchmarks (bench-nlu, bench-telemetry, bench-gateway)"
	@echo "make bench-chaos - 200 customers while the engine, a gateway and the database fail"

setup: $(RASA_VENV)/.installed $(ENCODER)/.source $(APP_VENV)/.installed

$(RASA_VENV)/.installed: constraints/rasa.txt scripts/find_python310.sh
	@set -e; py=$$(scripts/find_python310.sh); \
	[ -x $(RASA_VENV)/bin/python ] || $$py -m venv $(RASA_VENV); \
	$(RASA_VENV)/bin/pip install -q --upgrade pip 'setuptools<70' wheel; \
	$(RASA_VENV)/bin/pip install -q 'rasa==3.6.21' -c constraints/rasa.txt
	@touch $@

$(ENCODER)/.source: scripts/fetch_minilm_encoder.py | $(RASA_VENV)/.installed
	$(RASA_VENV)/bin/python scripts/fetch_minilm_encoder.py $(ENCODER)
	@touch $@

$(APP_VENV)/.installed: pyproject.toml constraints/project.txt scripts/find_python310.sh
	@set -e; py=$$(scripts/find_python310.sh); \
	[ -x $(APP_VENV)/bin/python ] || $$py -m venv $(APP_VENV); \
	$(APP_VENV)/bin/pip install -q --upgrade pip; \
	$(APP_VENV)/bin/pip install -q -e '.[dev]' -c constraints/project.txt
	@touch $@

# Retrain only when the training data, the domain or the pipeline changed.
$(MODEL): $(TRAINING_INPUTS) | $(RASA_VENV)/.installed $(ENCODER)/.source
	$(RASA) train --fixed-model-name current --out models --quiet
	@touch $@

train: $(MODEL)

run: setup $(MODEL)
	@scripts/run.sh

chat: $(APP_VENV)/.installed
	@echo "Verification codes are mailed to: $$($(PY) -m actions.verification mail-location)"
	@$(PY) -m bot chat

staff: $(APP_VENV)/.installed
	@$(PY) -m bot staff

lint: $(APP_VENV)/.installed
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/ruff format --check .
	$(APP_VENV)/bin/mypy bot cx_telemetry actions nlu_components contract.py

validate: $(RASA_VENV)/.installed
	$(RASA) data validate --fail-on-warnings

test-unit: $(APP_VENV)/.installed $(MODEL)
	CX_E2E_REQUIRED=1 $(PY) -m pytest

test-stories: $(MODEL)
	$(RASA) test core --stories tests/ --fail-on-prediction-errors --out var/results

test: setup lint validate $(MODEL) test-unit test-stories

bench: bench-nlu bench-telemetry bench-gateway

bench-nlu: $(RASA_VENV)/.installed $(ENCODER)/.source
	$(RASA_VENV)/bin/python benchmarks/bench_nlu.py

bench-telemetry: $(APP_VENV)/.installed
	$(PY) benchmarks/bench_telemetry.py

bench-gateway: setup $(MODEL)
	benchmarks/with_engine.sh $(PY) benchmarks/bench_gateway.py

# 200 customers through two gateways while the engine, a gateway and the database fail (<= 10 min).
bench-chaos: setup $(MODEL)
	$(PY) benchmarks/bench_chaos.py $(BENCH_CHAOS_ARGS)

# Engine CPU per message with Rasa as is and with nlu_components/serving.py, per phase of a turn.
profile-engine: setup $(MODEL)
	$(RASA_VENV)/bin/python benchmarks/profile_engine.py --figure var/engine-cpu.png

clean:
	rm -rf models var/results var/bench
