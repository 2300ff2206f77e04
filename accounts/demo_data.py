"""The demo tenant's tables and seed rows (docs/nimbus-facts.md, "Demo accounts"), and the plan
calendar arithmetic the demo backend uses."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    email TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    two_factor_enabled INTEGER NOT NULL DEFAULT 0,
    locked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS subscriptions (
    email TEXT PRIMARY KEY REFERENCES customers (email),
    plan TEXT NOT NULL,
    billing TEXT,
    seats INTEGER NOT NULL DEFAULT 1,
    renews_on TEXT,
    cancelled INTEGER NOT NULL DEFAULT 0,
    pending_plan TEXT
);
-- Keyed by email, so a new code replaces the previous one. Unknown emails get a decoy row too.
CREATE TABLE IF NOT EXISTS one_time_codes (
    email TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    expires_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    burned INTEGER NOT NULL DEFAULT 0
);
-- Written only by a correct one-time code: account actions of that conversation for that email,
-- until expires_at (a forged call to the action server has no grant, whatever slots it sends).
CREATE TABLE IF NOT EXISTS verification_grants (
    conversation_id TEXT NOT NULL,
    email TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (conversation_id, email)
);
CREATE TABLE IF NOT EXISTS reset_tokens (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS two_factor_resets (
    reference TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
);
CREATE TABLE IF NOT EXISTS licenses (
    key TEXT PRIMARY KEY,
    owner_email TEXT,
    seats_total INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS activations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL REFERENCES licenses (key),
    device_name TEXT NOT NULL COLLATE NOCASE,
    activated_at TEXT NOT NULL,
    UNIQUE (key, device_name)
);
"""

# (email, name, two_factor_enabled, locked, plan, billing, seats, days until renewal)
SEED_CUSTOMERS = [
    ("alex@example.com", "Alex Morgan", False, False, "plus", "monthly", 1, 12),
    ("sam@example.com", "Sam Rivera", True, False, "business", "annual", 5, 200),
    ("jordan@example.com", "Jordan Lee", False, True, "plus", "annual", 1, 90),
    ("taylor@example.com", "Taylor Brooks", False, False, "free", None, 1, None),
]
# (key, owner, seats_total, activated devices): one key works on 2 computers at once (Desktop Pro).
SEED_LICENSES = [
    ("NMB2K-7QX4P-R8T3W-5HJ6Z", "alex@example.com", 2, ["Alex-MacBook"]),
    ("NMB5F-9ZK3R-T2W8N-4HC6B", "taylor@example.com", 2, []),
    ("NMB8X-3LD7Q-W4K9M-2RV5T", "sam@example.com", 2, ["SAM-DESKTOP", "SAM-LAPTOP"]),
]
# USD per seat and month, taxes extra (annual Plus is $60/year); docs/nimbus-facts.md, "Plans".
PRICE_PER_SEAT_MONTH = {
    ("plus", "monthly"): Decimal("6.00"),
    ("plus", "annual"): Decimal("5.00"),
    ("business", "monthly"): Decimal("14.00"),
    ("business", "annual"): Decimal("12.00"),
}


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of month `months` later, clamped (Jan 31 + 1 month = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
