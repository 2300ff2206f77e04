"""Bring the database schema to the newest Alembic revision; tell whether it is there."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The revision that describes the tables the pre-Alembic create_all made.
BASELINE = "0001"
# Any constant: serialises start-up migrations of several processes on one PostgreSQL database.
_PG_LOCK_ID = 0x7E40_0005


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade_to_head(engine: Engine) -> None:
    config = alembic_config()
    # On SQLite the transaction begins IMMEDIATE: a second process waits instead of racing.
    with engine.execution_options(sqlite_immediate=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
        tables = set(inspect(conn).get_table_names())
        config.attributes["connection"] = conn
        if "tickets" in tables and "alembic_version" not in tables:
            log.info("database made before migrations: stamping it %s before upgrading", BASELINE)
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
