"""Bad input: one clear line on stderr, a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cx_telemetry.cli import main, parse_age, parse_when


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("cx-telemetry")
    return err


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["export", "--format", "xml", "--out", "x"], "invalid choice: 'xml'"),
        (["export", "--what", "tickets", "--out", "x"], "invalid choice: 'tickets'"),
        (["report", "--since", "last tuesday"], "cannot read date 'last tuesday'"),
        (["export", "--until", "2026-13-45", "--out", "x"], "cannot read date"),
        (["purge", "--older-than", "a year"], "cannot read duration"),
        (["forget", "--customer", "42"], "CHANNEL:USER_ID"),
        (["report", "--by", "colour"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(
    argv: list[str],
    needle: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.setenv("CX_PSEUDONYM_KEY", "k")
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    assert code == 2
    assert needle in _one_line_error(capsys)


@pytest.mark.parametrize(
    "argv",
    [["report"], ["migrate"], ["export", "--out", "x.csv"], ["forget", "--customer", "telegram:1"]],
)
def test_unreachable_database_is_one_line(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    monkeypatch.setenv("CX_PSEUDONYM_KEY", "k")
    assert main(argv) == 1
    assert "unavailable" in _one_line_error(capsys)
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.part").exists()


def test_unmigrated_database_says_to_migrate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert main(["report"]) == 1
    assert "cx-telemetry migrate" in _one_line_error(capsys)


def test_console_script_end_to_end(tmp_path: Path) -> None:
    env = dict(os.environ, CX_TELEMETRY_DB_URL=f"sqlite:///{tmp_path / 'var' / 't.sqlite3'}",
               CX_PSEUDONYM_KEY_FILE=str(tmp_path / "var" / "pseudonym.key"),
               CX_TELEMETRY_OUTBOX=str(tmp_path / "var" / "outbox"))  # fmt: skip
    env.pop("CX_PSEUDONYM_KEY", None)

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "cx_telemetry.cli", *a]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path)

    assert run("migrate").returncode == 0
    seeded = run("seed-demo", "--conversations", "300", "--seed", "7")
    assert seeded.returncode == 0 and "conversations=300" in seeded.stdout
    assert run("report", "--by", "channel").returncode == 0
    bad = run("report", "--until", "soon")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert run("replay").stdout.strip() == "applied=0 pending=0 dead=0"


def test_date_and_age_parsing() -> None:
    assert parse_when("2026-03-01").isoformat() == "2026-03-01T00:00:00+00:00"  # type: ignore[union-attr]
    assert parse_when("2026-03-01", end=True).isoformat() == "2026-03-02T00:00:00+00:00"  # type: ignore[union-attr]
    assert parse_when("2026-03-01T10:00Z", end=True).isoformat() == "2026-03-01T10:00:00+00:00"  # type: ignore[union-attr]
    assert (
        parse_age("365d").days == 365 and parse_age("2w").days == 14 and parse_age("48h").days == 2
    )
