"""Plans of the demo backend: the subscription row, renewals rolled forward, changes that take
effect now (upgrades) or at renewal (downgrades), cancellation."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from decimal import Decimal

from accounts.backend import (
    CANCEL_NOTE,
    PLANS,
    PlanChangeError,
    PlanInfo,
    UnknownAccount,
    normalise_email,
    plan_rank,
)
from accounts.demo_data import PRICE_PER_SEAT_MONTH, add_months
from accounts.demo_store import DemoStore


@dataclass
class _Sub:
    email: str
    plan: str
    billing: str | None
    seats: int
    renews_on: dt.date | None
    cancelled: bool
    pending_plan: str | None


class PlanMixin(DemoStore):
    def _load_sub(self, conn: sqlite3.Connection, email: str) -> _Sub | None:
        row = conn.execute("SELECT * FROM subscriptions WHERE email = ?", (email,)).fetchone()
        if row is None:
            return None
        renews = dt.date.fromisoformat(row["renews_on"]) if row["renews_on"] else None
        return _Sub(
            row["email"], row["plan"], row["billing"], row["seats"], renews, bool(row["cancelled"]), row["pending_plan"]
        )

    def _save_sub(self, conn: sqlite3.Connection, sub: _Sub) -> None:
        conn.execute(
            "UPDATE subscriptions SET plan = ?, billing = ?, seats = ?, renews_on = ?, cancelled = ?, pending_plan = ? "
            "WHERE email = ?",
            (
                sub.plan,
                sub.billing,
                sub.seats,
                sub.renews_on.isoformat() if sub.renews_on else None,
                int(sub.cancelled),
                sub.pending_plan,
                sub.email,
            ),
        )

    def _roll_forward(self, conn: sqlite3.Connection, sub: _Sub) -> _Sub:
        """Apply period ends that have passed: renewals, scheduled downgrades, cancellations."""
        today = self._today()
        changed = False
        while sub.renews_on is not None and today >= sub.renews_on:
            changed = True
            if sub.cancelled or sub.pending_plan:
                new = sub.pending_plan or "free"
                self.audit.record(conn, "plan_period_end", sub.email, "changed", f"{sub.plan}->{new}")
                sub.plan, sub.cancelled, sub.pending_plan = new, False, None
                if new == "free":
                    sub.billing, sub.seats, sub.renews_on = None, 1, None
                    break
                if new == "plus":
                    sub.seats = 1
            else:
                self.audit.record(conn, "plan_period_end", sub.email, "renewed", sub.plan)
            sub.renews_on = add_months(sub.renews_on, 12 if sub.billing == "annual" else 1)
        if changed:
            self._save_sub(conn, sub)
        return sub

    def _plan_info(self, sub: _Sub) -> PlanInfo:
        price = Decimal("0.00")
        if sub.plan != "free":
            price = PRICE_PER_SEAT_MONTH[(sub.plan, sub.billing or "monthly")] * sub.seats
        if sub.cancelled:
            note = CANCEL_NOTE.format(date=sub.renews_on.isoformat() if sub.renews_on else "the end of the period")
        elif sub.pending_plan and sub.renews_on:
            note = (
                f"Changes to {sub.pending_plan.title()} on {sub.renews_on.isoformat()}; "
                f"{sub.plan.title()} features stay until then."
            )
        elif sub.renews_on:
            note = f"Renews on {sub.renews_on.isoformat()}."
        else:
            note = "Free plan: 5 GB storage on up to 2 devices."
        return PlanInfo(
            sub.email, sub.plan, sub.billing, sub.seats, price, sub.renews_on, sub.cancelled, sub.pending_plan, note
        )

    def _current_sub(self, conn: sqlite3.Connection, email: str) -> _Sub:
        sub = self._load_sub(conn, email)
        if sub is None:
            raise UnknownAccount("I couldn't find a Nimbus account with that email address.")
        return self._roll_forward(conn, sub)

    def get_plan(self, email: str) -> PlanInfo:
        email = normalise_email(email)
        with self._tx() as conn:
            return self._plan_info(self._current_sub(conn, email))

    def change_plan(self, email: str, plan: str) -> PlanInfo:
        email = normalise_email(email)
        plan = plan.strip().lower()
        with self._audited(email, "change_plan") as (conn, outcome):
            if plan not in PLANS:
                raise PlanChangeError(f"There is no '{plan}' plan; Nimbus has Free, Plus and Business.")
            sub = self._current_sub(conn, email)
            if plan == "free" and sub.plan != "free":
                # A downgrade to Free is a cancellation: paid features until the period ends.
                sub.cancelled, sub.pending_plan = True, "free"
                outcome.extend(["downgrade_scheduled", f"{sub.plan}->free on {sub.renews_on}"])
            elif plan == sub.plan:
                withdrawn = sub.cancelled or sub.pending_plan is not None
                sub.cancelled, sub.pending_plan = False, None
                outcome.extend(["resumed" if withdrawn else "unchanged", plan])
            elif plan_rank(plan) > plan_rank(sub.plan):
                # Upgrades take effect at once with a pro-rated charge (billing is not simulated).
                if sub.plan == "free":
                    sub.billing, sub.seats, sub.renews_on = "monthly", 1, add_months(self._today(), 1)
                outcome.extend(["upgraded", f"{sub.plan}->{plan}; pro-rated charge"])
                sub.plan, sub.cancelled, sub.pending_plan = plan, False, None
            else:
                sub.cancelled, sub.pending_plan = False, plan
                outcome.extend(["downgrade_scheduled", f"{sub.plan}->{plan} on {sub.renews_on}"])
            self._save_sub(conn, sub)
            return self._plan_info(sub)

    def cancel_subscription(self, email: str) -> PlanInfo:
        email = normalise_email(email)
        with self._audited(email, "cancel_subscription") as (conn, outcome):
            sub = self._current_sub(conn, email)
            if sub.plan == "free":
                raise PlanChangeError("You're on the Free plan, so there is no subscription to cancel.")
            outcome.extend(["already_cancelled" if sub.cancelled else "cancelled", f"active until {sub.renews_on}"])
            sub.cancelled, sub.pending_plan = True, "free"
            self._save_sub(conn, sub)
            return self._plan_info(sub)
