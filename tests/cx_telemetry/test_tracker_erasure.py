"""``cx-telemetry forget`` and ``purge`` reach the engine's conversation trackers
(``TRACKER_STORE_URL``, Rasa's ``events`` table): what the customer typed goes with them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.state.database import GatewayDatabase
from bot.state.erasure import GatewayErasure
from bot.state.tracker_erasure import TrackerErasure
from cx_telemetry import Settings
from cx_telemetry.cli import main
from cx_telemetry.erasure import ErasureSubject
from tests.bot.state.tracker_db import senders, tracker_file

NOW = datetime.now(timezone.utc)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", settings.db_url)
    monkeypatch.setenv("CX_TELEMETRY_OUTBOX", str(settings.outbox_dir))
    monkeypatch.setenv("CX_PSEUDONYM_KEY", str(settings.pseudonym_key))


def count(out: str, key: str = "tracker_events") -> int:
    return int(out.split(f" {key}=")[1].split()[0])


def test_forget_removes_only_that_customers_tracker(
    cli_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url = tracker_file(tmp_path / "trackers.sqlite3", [
        ("telegram:42", NOW, "my order 10001 never came, I'm Ana Lopez"),
        ("telegram:7", NOW, "hello"),
        ("telegram:42", NOW, "ana@example.com"),
        ("telegram:420", NOW, "a different chat whose id starts the same"),
    ])  # fmt: skip
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    assert main(["forget", "--customer", "telegram:42"]) == 0
    assert count(capsys.readouterr().out) == 2
    assert senders(url) == ["telegram:7", "telegram:420"]


def test_purge_removes_whole_trackers_idle_past_the_retention(
    cli_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    old = NOW - timedelta(days=40)
    url = tracker_file(tmp_path / "trackers.sqlite3", [
        ("telegram:1", old, "an old question"),
        ("telegram:1", NOW - timedelta(days=35), "and its last word"),
        ("telegram:2", old, "began long ago"),
        ("telegram:2", NOW - timedelta(days=1), "still talking yesterday"),
    ])  # fmt: skip
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    assert main(["purge", "--older-than", "30d"]) == 0
    assert count(capsys.readouterr().out) == 2
    assert senders(url) == ["telegram:2", "telegram:2"]  # never cut in half


def test_no_tracker_store_counts_nothing(
    cli_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert main(["forget", "--customer", "telegram:42"]) == 0  # TRACKER_STORE_URL unset
    assert count(capsys.readouterr().out) == 0
    missing = tmp_path / "never-written.sqlite3"
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{missing}")
    assert main(["purge", "--older-than", "30d"]) == 0
    assert count(capsys.readouterr().out) == 0
    assert not missing.exists()  # not created by looking
    other = tmp_path / "other.sqlite3"
    other.touch()  # a database without Rasa's events table
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{other}")
    assert main(["forget", "--customer", "telegram:42"]) == 0
    assert count(capsys.readouterr().out) == 0


def test_an_unreadable_tracker_store_is_one_line(
    cli_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    broken = tmp_path / "trackers.sqlite3"
    broken.write_text("not a database at all, " * 100)
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{broken}")
    assert main(["forget", "--customer", "telegram:42"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "tracker store" in err and str(broken) in err


def test_gateway_target_finds_trackers_by_pseudonym(settings: Settings, tmp_path: Path) -> None:
    url = tracker_file(
        tmp_path / "t.sqlite3", [("slack:D1:U1", NOW, "hi"), ("slack:D1:U2", NOW, "yo")]
    )
    trackers = TrackerErasure(url, lambda: b"k")
    from cx_telemetry.privacy import pseudonym

    subject = ErasureSubject((), (pseudonym(b"k", "slack:D1:U1"),), ())
    gateway = GatewayErasure(GatewayDatabase(settings.db_url), trackers)
    assert gateway.forget(subject)["tracker_events"] == 1
    assert senders(url) == ["slack:D1:U2"]
