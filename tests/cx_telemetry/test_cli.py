"""Bad input: one clear line on stderr, a non-zero exit, never a traceback."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from cx_telemetry.cli import main
from cx_telemetry.cli_input import database_url, parse_age, parse_when


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
        (
            ["report", "--since", "2026-03-05", "--until", "2026-03-01"],
            "--until 2026-03-01 is before --since 2026-03-05",
        ),
        (
            ["export", "--since", "2026-03-05", "--until", "2026-03-04", "--out", "x.csv"],
            "is before --since",
        ),
        (["report", "--html", "no-such-folder/r.html"], "the folder no-such-folder does not exist"),
        (
            ["export", "--out", "no-such-folder/x.csv"],
            "--out no-such-folder/x.csv: the folder no-such-folder does not exist",
        ),
        (["--db-url", "not a url", "report"], "cannot read database URL"),
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


@pytest.mark.parametrize(
    "argv",
    [
        ["report"],
        ["report", "--json"],
        ["export", "--out", "x.csv"],
        ["seed-demo", "--conversations", "1"],
    ],
)
def test_unmigrated_database_gives_one_line_saying_to_migrate(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert main(argv) == 1
    line = _one_line_error(capsys)
    assert line == (
        f"cx-telemetry: error: telemetry database sqlite:///{tmp_path / 'empty.sqlite3'} "
        "has no telemetry schema: run `cx-telemetry migrate`\n"
    )
    assert not (tmp_path / "x.csv").exists()


def _migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", f"sqlite:///{tmp_path / 't.sqlite3'}")
    monkeypatch.setenv("CX_PSEUDONYM_KEY", "k")
    assert main(["migrate"]) == 0


def test_unknown_channel_is_an_error_not_an_empty_export(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _migrated(tmp_path, monkeypatch)
    capsys.readouterr()
    assert main(["export", "--channel", "telegarm", "--out", "x.csv"]) == 2
    assert "unknown --channel 'telegarm': use one of telegram, slack, console" in _one_line_error(
        capsys
    )
    assert not (tmp_path / "x.csv").exists()
    assert main(["export", "--channel", "slack", "--out", "x.csv"]) == 0


def test_out_pointing_at_a_folder_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _migrated(tmp_path, monkeypatch)
    (tmp_path / "exports").mkdir()
    capsys.readouterr()
    assert main(["export", "--out", "exports"]) == 2
    assert (
        "--out exports is a folder: give a file name, e.g. exports/export.csv"
        in _one_line_error(capsys)
    )
    assert main(["report", "--html", "exports"]) == 2
    assert "--html exports is a folder" in _one_line_error(capsys)


def test_a_file_error_names_the_path_the_user_gave(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _migrated(tmp_path, monkeypatch)
    (tmp_path / "r.csv.part").mkdir()  # the temporary file cannot be created
    capsys.readouterr()
    assert main(["export", "--out", "r.csv"]) == 1
    line = _one_line_error(capsys)
    assert line == "cx-telemetry: error: r.csv: Is a directory\n" and ".part" not in line


def test_bare_command_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("migrate", "export", "report", "forget", "purge", "seed-demo", "replay"):
        assert f"    {command}" in out


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_urls_as_heroku_and_psql_write_them(
    scheme: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        database_url(f"{scheme}://u:secret@db.example/cx")
        == "postgresql+psycopg://u:secret@db.example/cx"
    )
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", f"{scheme}://postgres:secret@127.0.0.1:1/nothing")
    assert main(["report"]) == 1
    line = _one_line_error(capsys)
    assert "postgresql+psycopg://postgres:***@127.0.0.1:1/nothing unavailable" in line
    assert "secret" not in line


def test_postgres_url_reaches_the_real_server(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, pg_migrated: str | None
) -> None:
    if pg_migrated is None:
        pytest.skip("CX_TELEMETRY_TEST_PG_URL is not set")
    plain = pg_migrated.replace("postgresql+psycopg://", "postgres://")
    assert main(["--db-url", plain, "report", "--json"]) == 0
    assert '"overall"' in capsys.readouterr().out


def test_seed_demo_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    env = dict(
        os.environ, CX_TELEMETRY_DB_URL=f"sqlite:///{tmp_path / 't.sqlite3'}", CX_PSEUDONYM_KEY="k"
    )
    cmd = [sys.executable, "-m", "cx_telemetry.cli"]
    subprocess.run([*cmd, "migrate"], env=env, check=True, capture_output=True)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    try:
        proc = subprocess.run([*cmd, "seed-demo", "--conversations", "2000"], env=env,
                              stdout=subprocess.PIPE, stderr=follower, text=True, timeout=120)  # fmt: skip
        os.close(follower)
        shown = b""
        while select.select([leader], [], [], 0.2)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert proc.returncode == 0 and "conversations=2000" in proc.stdout
    assert b"2000/2000" in shown and b"conversations" in shown  # tqdm's bar on the terminal


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
    assert seeded.stderr == ""  # no progress bar when stderr is not a terminal
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
