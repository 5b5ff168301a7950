"""Alembic for the verification tables. The history lives beside this module and is recorded in
its own version table, so it shares a database with the telemetry and gateway histories
without any of them touching the others' tables."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from cx_telemetry.migrate import upgrade_to_head as upgrade_history

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version_verification"


def upgrade_to_head(engine: Engine) -> None:
    """``alembic upgrade head`` of the verification history on ``engine`` (a no-op when
    current)."""
    upgrade_history(engine, MIGRATIONS_DIR)
