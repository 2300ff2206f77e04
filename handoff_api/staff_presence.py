"""Which agents are online: the staff users seen on a staff page or the staff API lately. The
customer's wait estimate (handoff_api/queue_position.py) divides the queue by their number.

A request writes the time at most once a minute per user and process (no write per page view)."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import func, select, update

from handoff_api.db import Database
from handoff_api.models import StaffUser, utcnow

# A user seen this recently counts as seen now.
NOTE_EVERY_SECONDS = 60.0

# (database, user) -> monotonic time of the last write
_last_noted: dict[tuple[int, int], float] = {}
_lock = threading.Lock()


def note_seen(db: Database, user_id: int, now: dt.datetime | None = None) -> None:
    key, tick = (id(db), user_id), time.monotonic()
    with _lock:
        if tick - _last_noted.get(key, -NOTE_EVERY_SECONDS) < NOTE_EVERY_SECONDS:
            return
        _last_noted[key] = tick
    with db.write_session() as session:
        values = {"last_seen_at": now or utcnow()}
        session.execute(update(StaffUser).where(StaffUser.id == user_id).values(**values))
        session.commit()


def agents_online(db: Database, window_minutes: int, now: dt.datetime | None = None) -> int:
    since = (now or utcnow()) - dt.timedelta(minutes=window_minutes)
    with db.read_session() as session:
        query = select(func.count()).where(StaffUser.active.is_(True), StaffUser.last_seen_at >= since)
        return int(session.scalar(query) or 0)


def forget() -> None:
    """Tests: the next request of every user writes its time again."""
    with _lock:
        _last_noted.clear()
