"""What the CLI accepts, checked before any work starts: dates and periods, ages, database URLs,
output paths, channels, and a database that is migrated. Each problem is one ``UsageError`` (or
``StoreUnavailable``) line that names what the user typed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from cx_telemetry.db import is_unavailable, safe_url, unavailable_message
from cx_telemetry.errors import StoreUnavailable, UsageError
from cx_telemetry.models import Conversation

# the channels the gateway writes (bot/channels/): checked without touching the database
KNOWN_CHANNELS = ("telegram", "slack", "console")
# cx_telemetry.migrate's folder, without importing alembic (0.13 s) on every command
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATE_HINT = "run `cx-telemetry migrate`"


def parse_when(text: str | None, end: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` or an ISO datetime, UTC unless it says otherwise. A bare date used as an
    end (``--until``) means the end of that day, so ``--until 2026-01-31`` includes the 31st."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"cannot read date {text!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if end and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        when += timedelta(days=1)
    return when


def parse_period(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """``--since`` and ``--until`` as datetimes; an ``--until`` that is not after ``--since``
    is an error, not an empty report."""
    start, end = parse_when(since), parse_when(until, end=True)
    if start is not None and end is not None and end <= start:
        raise UsageError(f"--until {until} is before --since {since}: nothing can be in between")
    return start, end


def parse_age(text: str) -> timedelta:
    """``365d``, ``12w`` or ``48h``."""
    m = re.fullmatch(r"\s*(\d+)\s*([dwh])\s*", text)
    if not m:
        raise UsageError(f"cannot read duration {text!r}: use e.g. 365d, 12w or 48h")
    n, unit = int(m.group(1)), m.group(2)
    return timedelta(**{{"d": "days", "w": "weeks", "h": "hours"}[unit]: n})


def database_url(url: str) -> str:
    """The URL SQLAlchemy needs: ``postgres://`` and ``postgresql://`` (as Heroku, Render or
    ``psql`` write them) mean PostgreSQL through psycopg 3, the driver installed."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    try:
        make_url(url)
    except ArgumentError:
        raise UsageError(f"cannot read database URL {safe_text(url)!r}") from None
    return url


def safe_text(url: str) -> str:
    """``url`` with a password hidden, even when it does not parse."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def output_file(path: Path, option: str = "--out") -> Path:
    """A file path the user may write: not a folder, in a folder that exists."""
    if path.is_dir():
        raise UsageError(
            f"{option} {path} is a folder: give a file name, e.g. {path / 'export.csv'}"
        )
    if not path.parent.exists():
        raise UsageError(f"{option} {path}: the folder {path.parent} does not exist")
    return path


def check_channel(engine: Engine, channel: str | None) -> None:
    """An unknown ``--channel`` is an error listing the known ones (a channel outside the
    gateway's list is fine when the data has it: demo or older data)."""
    if channel is None or channel in KNOWN_CHANNELS:
        return
    with engine.connect() as conn:
        found = conn.execute(
            select(Conversation.id).where(Conversation.channel == channel).limit(1)
        )
        if found.first() is not None:
            return
    raise UsageError(f"unknown --channel {channel!r}: use one of {', '.join(KNOWN_CHANNELS)}")


def head_revision() -> str:
    """The newest migration: the revision no other revision names as its ``down_revision``.
    Read from the migration files with a regex, because importing alembic's script machinery
    costs more than a whole report on a million conversations."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if m := re.search(r'^revision: str = "([^"]+)"', source, re.M):
            revisions.add(m.group(1))
        if m := re.search(r'^down_revision: str \| None = "([^"]+)"', source, re.M):
            parents.add(m.group(1))
    (head,) = revisions - parents
    return head


def require_schema(engine: Engine) -> None:
    """The one line every reading command prints on a database without the current schema."""
    try:
        with engine.connect() as conn:
            current = None
            if inspect(conn).has_table("alembic_version"):
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as err:
        if is_unavailable(err):
            raise StoreUnavailable(unavailable_message(engine.url, err)) from err
        raise
    if current != head_revision():
        state = "has no telemetry schema" if current is None else "has an older schema"
        raise StoreUnavailable(f"telemetry database {safe_url(engine.url)} {state}: {MIGRATE_HINT}")
