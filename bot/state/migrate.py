"""Alembic for the gateway's tables, configured in code. The history lives beside this module
and is recorded in its own version table, so it shares a database with the telemetry history
(``cx_telemetry/migrations``) without either touching the other's tables."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from cx_telemetry.db import sqlite_path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version_gateway"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    """``alembic upgrade head`` of the gateway history on ``engine`` (a no-op when current)."""
    db_file = sqlite_path(engine.url)
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
