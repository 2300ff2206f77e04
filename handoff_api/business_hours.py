"""When will a person pick a ticket up? From the business-hours settings and a clock.

Inside working hours: now + PICKUP_MINUTES. Outside: the next opening time (weekends, evenings and
BUSINESS_HOLIDAYS skipped). Business-plan customers have 24/7 chat (docs/nimbus-facts.md), so their
tickets count as inside working hours at any time. Only a verified fact buys that promise: the
account's plan (`customer_plan`, which the bot adds from the account backend after the customer
proved their email) on a ticket marked `customer_verified`. The `plan` slot is what the customer
said ("I'm on the business plan"), which anyone can say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from handoff_api.settings import WEEKDAYS, Settings

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Pickup:
    at: dt.datetime  # aware, UTC
    message: str
    # The team works now (or the plan has 24/7 chat): the queue decides the wait, not the clock.
    open_now: bool = False


def is_business_plan(slots: Mapping[str, Any], verified: bool) -> bool:
    """Whether the account behind a ticket is on the Business plan, as the backend said."""
    plan = slots.get("customer_plan") if verified else None
    return isinstance(plan, str) and plan.strip().lower() == "business"


def _is_working_day(settings: Settings, day: dt.date) -> bool:
    return WEEKDAYS[day.weekday()] in settings.business_days and day not in settings.business_holidays


def is_open(settings: Settings, local: dt.datetime) -> bool:
    return (
        _is_working_day(settings, local.date())
        and settings.business_open <= local.time().replace(tzinfo=None) < settings.business_close
    )


def next_opening(settings: Settings, local: dt.datetime) -> dt.datetime | None:
    """The next opening time after `local` (local time), or None if no working day in a year."""
    day = local.date()
    if local.time().replace(tzinfo=None) >= settings.business_open:
        day += dt.timedelta(days=1)
    for _ in range(366):
        if _is_working_day(settings, day):
            return dt.datetime.combine(day, settings.business_open, tzinfo=settings.zone)
        day += dt.timedelta(days=1)
    return None


def _zone_label(settings: Settings) -> str:
    # "Europe/Berlin" -> "Berlin time"; the customer reads a city, not a tz database key.
    return settings.business_timezone.rsplit("/", 1)[-1].replace("_", " ") + " time"


def expected_pickup(settings: Settings, now: dt.datetime, slots: Mapping[str, Any], verified: bool = False) -> Pickup:
    now = now.astimezone(dt.timezone.utc)
    local = now.astimezone(settings.zone)
    soon = now + dt.timedelta(minutes=settings.pickup_minutes)
    minutes = f"about {settings.pickup_minutes} minutes"
    if settings.business_plan_always_open and is_business_plan(slots, verified):
        return Pickup(
            soon,
            f"Business plan support is available around the clock; a person will pick this up within {minutes}.",
            open_now=True,
        )
    if is_open(settings, local):
        return Pickup(soon, f"Our team is available now; a person will pick this up within {minutes}.", open_now=True)
    opening = next_opening(settings, local)
    if opening is None:  # no working days configured: say nothing we cannot keep
        return Pickup(soon, "A person will pick this up as soon as possible.")
    days_ahead = (opening.date() - local.date()).days
    when = "today" if days_ahead == 0 else "tomorrow" if days_ahead == 1 else f"on {opening:%A}"
    if days_ahead > 6:
        when = f"on {opening:%A, %d %B}"
    return Pickup(
        opening.astimezone(dt.timezone.utc),
        f"Our team is back {when} at {opening:%H:%M} ({_zone_label(settings)}); a person will pick this up then.",
    )
