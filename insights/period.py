"""The date range a support lead asks about: whole local days, `from` and `to` both included."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MAX_DAYS = 366


class InvalidRange(ValueError):
    """A date range that cannot be used; the message says why, in words for the person who typed it."""


def parse_day(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidRange(f"{name} {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-24") from None


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise InvalidRange(f"from ({self.first}) is after to ({self.last})")
        if self.days > MAX_DAYS:
            raise InvalidRange(f"the range has {self.days} days; at most {MAX_DAYS} at a time")

    @classmethod
    def parse(
        cls, first: str | None, last: str | None, zone: ZoneInfo, default_days: int, today: dt.date | None = None
    ) -> Period:
        """From the strings of a form or the command line; a missing end is today, a missing start
        `default_days` before the end."""
        end = parse_day(last, "to") if last else (today or dt.datetime.now(zone).date())
        start = parse_day(first, "from") if first else end - dt.timedelta(days=default_days - 1)
        return cls(start, end, zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        """Midnight at the start of the first day, local time (aware)."""
        return dt.datetime.combine(self.first, dt.time(0), self.zone)

    @property
    def end(self) -> dt.datetime:
        """Midnight after the last day (exclusive)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), self.zone)

    def contains(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    def day_of(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()

    def each_day(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range(self.days)]
