"""Alembic, configured in code so it works from the installed package in any directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from cx_telemetry.db import sqlite_path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(script_location: Path = MIGRATIONS_DIR) -> Config:
    """An alembic ``Config`` for the history in ``script_location`` (this package's by default)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    return cfg


def upgrade_to_head(engine: Engine, script_location: Path = MIGRATIONS_DIR) -> None:
    """Run ``alembic upgrade head`` of a history on ``engine`` (a no-op when up to date)."""
    db_file = sqlite_path(engine.url)
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config(script_location)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def own_tables_only(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    """alembic ``include_object``: histories that share a database (telemetry, the gateway's)
    never compare or touch a table only the other one declares."""
    return not (type_ == "table" and reflected and other is None)
