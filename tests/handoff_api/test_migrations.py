"""Alembic migrations: a database from before migrations is adopted, readiness knows the schema."""

from __future__ import annotations

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from handoff_api.migrate import alembic_config, upgrade_to_head
from tests.handoff_api.conftest import BOT, TestDatabase, add_staff, login


def _alembic(database: TestDatabase, action, revision: str) -> None:
    engine = create_engine(database.url)
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        action(config, revision)
    engine.dispose()


def test_a_database_from_before_migrations_is_upgraded_in_place(app_factory, database: TestDatabase) -> None:
    # The tables the old create_all made (revision 0001 is exactly that schema), without alembic_version.
    _alembic(database, command.upgrade, "0001")
    engine = create_engine(database.url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            text(
                "INSERT INTO tickets (id, status, priority, queue, reason, summary, conversation_id, customer_email,"
                " slots, steps_tried, kb_articles, created_at, updated_at) VALUES ('NIM-111111', 'new', 'normal',"
                " 'tier1', 'customer_asked', 'old ticket', 'c-1', 'old@example.com', '{}', '[]', '[]',"
                " '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
            )
        )
    engine.dispose()
    client: TestClient = app_factory(database)
    assert client.get("/readyz").status_code == 200
    old = client.get("/api/tickets/NIM-111111", headers=BOT)
    assert old.status_code == 200 and old.json()["summary"] == "old ticket" and old.json()["customer_verified"] is False
    assert database.rows("SELECT version_num FROM alembic_version") == [("0008",)]
    # Staff sign in on the upgraded database (their sessions are kept in a table made since).
    add_staff(database.url)
    assert login(client).status_code == 303 and client.get("/api/tickets").status_code == 200


def test_readiness_reports_a_schema_behind_head(client: TestClient, database: TestDatabase) -> None:
    assert client.get("/readyz").json()["migrations"] == "head"
    _alembic(database, command.downgrade, "0001")
    behind = client.get("/readyz")
    assert behind.status_code == 503 and "head is ['0008']" in behind.json()["migrations"]
    engine = create_engine(database.url)
    upgrade_to_head(engine)
    engine.dispose()
    assert client.get("/readyz").status_code == 200


def test_readiness_reports_a_broken_database() -> None:
    from handoff_api.main import create_app
    from handoff_api.settings import Settings

    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", handoff_bot_token="t" * 32, _env_file=None
    )
    # Not entered as a context manager: no start-up, so no attempt to migrate there.
    r = TestClient(create_app(settings)).get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "unavailable"
