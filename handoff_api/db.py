"""Engine and sessions. SQLite by default, PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from common.private_files import private_sqlite

# Seconds a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT = 30


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str) -> Engine:
    if is_sqlite(url):
        private_sqlite(url)  # tickets hold conversations: owner-only, whoever creates the file
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            # SQLAlchemy, not the driver, decides when a transaction begins (see _begin).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            # WAL lets the staff pages read while the bot writes.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # FULL: a ticket whose id the customer was given survives a power cut too (WAL's
            # NORMAL could lose the last commits); ~1.5 ms a ticket here.
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:  # noqa: ANN001
            # A write transaction takes the write lock up front (BEGIN IMMEDIATE): a deferred one
            # that read first and then writes fails at once with "database is locked" when another
            # writer committed in between, instead of waiting for the busy timeout.
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # More pooled connections than request threads (REQUEST_THREADS): no connect per request.
    return create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=10)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # Same pool; on SQLite its transactions begin IMMEDIATE (no effect on PostgreSQL).
        self.write_sessionmaker = sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )
        # SQLite has one writer at a time. Threads of this process queue on a lock instead of
        # SQLite's busy handler, which polls with growing sleeps and gave a p95 ten times the p50
        # at 8 concurrent creates (make bench-handoff). Other processes still meet the busy timeout.
        self._write_lock = threading.Lock() if is_sqlite(url) else contextlib.nullcontext()

    def session(self) -> Iterator[Session]:
        with self.sessionmaker() as session:
            yield session

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        with self._write_lock, self.write_sessionmaker() as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        with self.sessionmaker() as session:
            yield session
