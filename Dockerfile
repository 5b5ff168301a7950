# One image for every process of the assistant (docker-compose.yml picks the command): both
# environments exactly as `make setup` builds them (the engine's Rasa 3.6 in .venv-rasa, the
# gateway and actions in .venv) and the NLU's sentence encoder. The trained model is mounted at
# /app/models (`make train` first), so one image serves any model.
FROM python:3.10-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends make curl build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN make setup
ENV RASA_TELEMETRY_ENABLED=false PYTHONDONTWRITEBYTECODE=1
