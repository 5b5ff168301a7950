"""Exports read back with the csv module, json and pyarrow, metric version included."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cx_telemetry import TelemetryStore
from cx_telemetry.cli import main
from cx_telemetry.export import export, sidecar
from cx_telemetry.metrics import METRIC_DEFINITIONS_VERSION

from .conftest import T0
from .fixtures import WEEK2, build_world

RESPONSE_COLUMNS = ["conversation_id", "channel", "metric", "score", "scale_max", "status", "asked_at",
                    "answered_at", "segment", "agent", "intent", "comment"]  # fmt: skip


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_csv_is_header_and_data_only_and_the_sidecar_describes_it(
    store: TelemetryStore, tmp_path: Path
) -> None:
    ids = build_world(store)
    out = tmp_path / "r.csv"
    assert export(store.engine, "responses", "csv", out) == 7
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfconversation_id,channel,metric,")  # BOM: Excel reads UTF-8
    assert b"#" not in raw.split(b"\n", 1)[0]
    rows = _read_csv(out)
    assert len(rows) == 7 and set(RESPONSE_COLUMNS) <= set(rows[0])
    b_csat = next(r for r in rows if r["conversation_id"] == ids["b"] and r["metric"] == "csat")
    assert b_csat["score"] == "2" and b_csat["scale_max"] == "5" and b_csat["status"] == "answered"
    assert (
        b_csat["segment"] == "agent"
        and b_csat["agent"] == "Ana (U1)"
        and b_csat["intent"] == "payment_issue"
    )
    assert b_csat["comment"] == "slow; write to me at [email]"
    assert b_csat["asked_at"] == "2026-03-02T09:11:40.000Z"
    d_csat = next(r for r in rows if r["conversation_id"] == ids["d"])
    assert d_csat["status"] == "expired" and d_csat["score"] == "" and d_csat["answered_at"] == ""

    meta = json.loads(sidecar(out).read_text(encoding="utf-8"))
    assert meta["metric_definitions_version"] == METRIC_DEFINITIONS_VERSION == 5
    assert meta["rows"] == 7 and meta["what"] == "responses" and meta["format"] == "csv"
    assert [c["name"] for c in meta["columns"]] == list(rows[0])
    assert meta["metric_definitions"].startswith("cx-telemetry metric-definitions v5")


def test_csv_header_comment_is_opt_in(store: TelemetryStore, tmp_path: Path) -> None:
    build_world(store)
    out = tmp_path / "r.csv"
    export(store.engine, "responses", "csv", out, with_header_comment=True)
    with open(out, newline="", encoding="utf-8-sig") as fh:
        assert fh.readline().startswith("# cx-telemetry metric-definitions v5")
        assert len(list(csv.DictReader(fh))) == 7


def test_durations_are_rounded_and_formulas_are_defused(
    store: TelemetryStore, tmp_path: Path
) -> None:
    cid = store.open_conversation(channel="slack", customer_id="slack:D:U", at=T0)
    store.note_intent(cid, "payment_issue", at=T0)
    h = store.handoff_requested(cid, at=T0)
    store.handoff_claimed(h, agent="=HYPERLINK(1)", at=T0 + timedelta(seconds=61.23456))
    store.survey_asked(cid, metric="csat", segment="agent", agent="=HYPERLINK(1)", at=T0)
    store.survey_answered(cid, metric="csat", score=1, at=T0)
    store.survey_comment(cid, metric="csat", comment='=cmd|" /C calc"!A0')
    handoffs, responses = tmp_path / "h.csv", tmp_path / "r.csv"
    export(store.engine, "handoffs", "csv", handoffs)
    export(store.engine, "responses", "csv", responses)
    (row,) = _read_csv(handoffs)
    assert row["wait_s"] == "61.2" and row["agent"] == "'=HYPERLINK(1)"
    (resp,) = _read_csv(responses)
    assert resp["comment"] == '\'=cmd|" /C calc"!A0'
    jsonl = tmp_path / "h.jsonl"
    export(store.engine, "handoffs", "jsonl", jsonl)
    (j,) = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert j["wait_s"] == 61.2 and j["agent"] == "=HYPERLINK(1)"  # only CSV is defused


def test_jsonl_carries_the_version_in_every_row(store: TelemetryStore, tmp_path: Path) -> None:
    build_world(store)
    out = tmp_path / "c.jsonl"
    assert export(store.engine, "conversations", "jsonl", out) == 5
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 5 and all(r["metric_definitions_version"] == 5 for r in rows)
    assert json.loads(sidecar(out).read_text())["rows"] == 5
    b = next(r for r in rows if r["channel"] == "slack")
    assert (
        b["outcome"] == "escalated"
        and b["has_handoff"] is True
        and b["support_intents"] == ["payment_issue"]
    )
    assert len(b["customer"]) == 64  # a pseudonym, never the raw id
    assert "slack:D1:U1" not in out.read_text() and "telegram:1" not in out.read_text()


def test_parquet_metadata_and_types(store: TelemetryStore, tmp_path: Path) -> None:
    build_world(store)
    out = tmp_path / "h.parquet"
    assert export(store.engine, "handoffs", "parquet", out) == 1
    table = pq.read_table(out)
    meta = table.schema.metadata
    assert meta[b"cx_telemetry.metric_definitions_version"] == b"5"
    assert b"csat_pct" in meta[b"cx_telemetry.metric_definitions"]
    row = table.to_pylist()[0]
    assert row["wait_s"] == 60.0 and row["handle_s"] == 600.0 and row["agent"] == "Ana (U1)"
    assert row["requested_at"].isoformat() == "2026-03-02T09:00:10+00:00"
    responses = tmp_path / "r.parquet"
    assert export(store.engine, "responses", "parquet", responses) == 7
    assert pq.read_table(responses).column("score").to_pylist().count(None) == 2


def test_filters_by_period_and_channel(store: TelemetryStore, tmp_path: Path) -> None:
    build_world(store)
    out = tmp_path / "x.csv"
    assert export(store.engine, "responses", "csv", out, since=WEEK2) == 1
    assert export(store.engine, "responses", "csv", out, until=WEEK2, channel="slack") == 2
    assert export(store.engine, "conversations", "csv", out, since=T0, until=T0) == 0
    with open(out, newline="", encoding="utf-8-sig") as fh:
        assert len(fh.readlines()) == 1  # the header


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_cli_export(
    store: TelemetryStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    build_world(store)
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", store.settings.db_url)
    out = tmp_path / f"out.{fmt}"
    assert (
        main(
            [
                "export",
                "--what",
                "responses",
                "--format",
                fmt,
                "--until",
                "2026-03-02",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "exported 6 responses" in capsys.readouterr().err
    assert out.exists() and not (tmp_path / f"out.{fmt}.part").exists()
    assert sidecar(out).exists()


def test_awkward_text_survives_every_format(store: TelemetryStore, tmp_path: Path) -> None:
    cid = store.open_conversation(channel="telegram", customer_id="telegram:9", at=T0)
    store.note_intent(cid, "order_status")
    store.survey_asked(cid, metric="csat", agent='Zoë "Z", desk 2', at=T0)
    store.survey_answered(cid, metric="csat", score=1, at=T0)
    awkward = 'bad, "very" bad\nsecond line; ünïcode ✓'
    store.survey_comment(cid, metric="csat", comment=awkward)
    csv_out, pq_out, js_out = tmp_path / "a.csv", tmp_path / "a.parquet", tmp_path / "a.jsonl"
    export(store.engine, "responses", "csv", csv_out)
    export(store.engine, "responses", "parquet", pq_out)
    export(store.engine, "responses", "jsonl", js_out)
    (row,) = _read_csv(csv_out)
    (prow,) = pq.read_table(pq_out).to_pylist()
    (jrow,) = [json.loads(line) for line in js_out.read_text(encoding="utf-8").splitlines()]
    for r in (row, prow, jrow):
        assert r["comment"] == awkward and r["agent"] == 'Zoë "Z", desk 2'
    assert prow["score"] == 1 and jrow["score"] == 1 and row["score"] == "1"
