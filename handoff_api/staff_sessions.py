"""Staff sign-ins kept on the server. The signed session cookie alone cannot be taken back: a
saved copy would keep working until it expires. So a sign-in is also a row in staff_sessions, the
cookie carries the row's random id, and a cookie counts only while that row is open; logging out
closes it for every copy of the cookie.

The row keeps a SHA-256 of the id, not the id itself: whoever reads the database (a backup, a
read-only account) then holds nothing that names a live session, even with the cookie's signing
key. The id is 256 random bits, so a plain hash (no salt, no slow hash) is enough."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from handoff_api.db import Database
from handoff_api.models import StaffSession

# Sign-ins kept per staff user, open or ended (browsers, devices): a new one beyond it removes the
# oldest, ending it if it was still open, so sessions abandoned without logging out do not pile up.
MAX_KEPT_PER_USER = 20


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(db: Database, staff_id: int, now: dt.datetime) -> str:
    """A new open session for the user; returns the id the cookie carries."""
    session_id = secrets.token_urlsafe(32)
    with db.write_session() as session:
        keep = (
            select(StaffSession.id)
            .where(StaffSession.staff_id == staff_id)
            .order_by(StaffSession.id.desc())
            .limit(MAX_KEPT_PER_USER - 1)
        )
        session.execute(
            delete(StaffSession).where(
                StaffSession.staff_id == staff_id, StaffSession.id.not_in(keep.scalar_subquery())
            )
        )
        session.add(StaffSession(token_hash=_digest(session_id), staff_id=staff_id, created_at=now))
        session.commit()
    return session_id


def is_open(session: Session, session_id: str, staff_id: int) -> bool:
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(session_id)))
    return row is not None and row.staff_id == staff_id and row.ended_at is None


def end(db: Database, session_id: str, now: dt.datetime) -> None:
    with db.write_session() as session:
        session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == _digest(session_id), StaffSession.ended_at.is_(None))
            .values(ended_at=now)
        )
        session.commit()
