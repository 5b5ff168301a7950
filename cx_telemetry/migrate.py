"""Alembic, configured in code so it works from the installed package in any directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from cx_telemetry.db import sqlite_path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An alembic ``Config`` whose ``script_location`` is this package's migrations directory."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    """Run ``alembic upgrade head`` on ``engine`` (idempotent: a no-op when up to date)."""
    db_file = sqlite_path(engine.url)
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
