"""Handoff API settings from the environment (documented in .env.example). The one place where the
service's configuration lives."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from common import ticket_limits
from insights.settings import BusinessTime, InsightsSettings, empty_is_none

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PROJECT_DIR = Path(__file__).resolve().parents[1]


class Settings(BusinessTime):
    """The handoff service's settings. It serves the review inbox and analytics pages too: their
    settings are a part of these (`insights`, read from the same environment as the
    `python -m insights` CLI), given this service's databases, time zone and KB folders."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # --- storage ---
    # SQLite file by default; e.g. postgresql+psycopg://user@127.0.0.1:5432/test for PostgreSQL.
    database_url: str = "sqlite:///var/handoff.db"
    # Rasa's SQL tracker store (the same URL as endpoints.yml), read only: a ticket's live transcript.
    tracker_db_url: str = "sqlite:///var/rasa_tracker.db"
    # KB article drafts from tickets (kb_index/drafts.py), never into the articles; the articles
    # themselves (the help pages).
    kb_drafts_dir: Path = Path("kb/drafts")
    kb_source_dir: Path = Path("kb/articles")
    # The review inbox's and analytics' own settings; None: read from the environment.
    insights: InsightsSettings | None = None

    # --- credentials ---
    # Shared secret the bot's action server sends as "Authorization: Bearer <token>". No default:
    # `make setup` writes a random one into .env, and the service refuses to start without one.
    handoff_bot_token: str = ""
    # Signs the staff session cookie. Empty: a random key per process (staff log in again after a
    # restart); set it in production and when several processes serve the staff pages.
    staff_session_secret: str = ""
    staff_session_max_age_seconds: int = 8 * 3600
    # "production": the session cookie is sent over HTTPS only, /docs and /openapi.json are off and
    # STAFF_SESSION_SECRET is required. "development" (make run) serves plain HTTP on loopback.
    environment: Literal["development", "production"] = "development"
    # Send the session cookie only over HTTPS; empty = on outside development.
    staff_cookie_secure: bool | None = None
    # The interactive API docs; empty = on in development only.
    api_docs: bool | None = None

    # --- staff sign-in throttle (handoff_api/login_throttle.py) ---
    # Failed sign-ins are counted here: a redis:// URL (the scaled setup) or a SQL URL; empty means
    # a table in DATABASE_URL. Past a limit the next attempt gets 429 before any password check.
    rate_limit_url: str = ""
    staff_login_failures_per_account_minute: int = Field(default=10, ge=1)
    staff_login_failures_per_account_hour: int = Field(default=30, ge=1)
    staff_login_failures_per_client_minute: int = Field(default=30, ge=1)
    staff_login_failures_per_client_hour: int = Field(default=100, ge=1)

    # Requests handled at once (threads); the rest wait in line. See main.py for why it is small.
    request_threads: int = Field(default=8, ge=1, le=200)

    # --- request limits: longer requests get a clear 422 and nothing is stored ---
    # (the bot keeps within common/ticket_limits.py's defaults before it sends a ticket)
    # Any request body over this many bytes gets 413 before it is read (a full-size ticket fits).
    max_request_bytes: int = Field(default=ticket_limits.MAX_REQUEST_BYTES, ge=1024)
    max_turn_chars: int = ticket_limits.MAX_TURN_CHARS
    max_turns: int = ticket_limits.MAX_TURNS

    # --- business hours: when a person picks a ticket up (docs/nimbus-facts.md, "Support") ---
    # (in business_timezone)
    # Weekdays the human agents work, comma-separated (mon..sun).
    business_days: Annotated[tuple[str, ...], NoDecode] = ("mon", "tue", "wed", "thu", "fri")
    business_open: dt.time = dt.time(8, 0)
    business_close: dt.time = dt.time(18, 0)
    # Public holidays (YYYY-MM-DD, comma-separated) on which nobody picks tickets up.
    business_holidays: Annotated[tuple[dt.date, ...], NoDecode] = ()
    # How long a ticket waits for a person while the team is working.
    pickup_minutes: int = Field(default=30, ge=1)
    # Business-plan customers get 24/7 chat: a ticket whose slots say so is picked up around the clock.
    business_plan_always_open: bool = True
    # While the team works, the wait comes from the queue (handoff_api/queue_position.py): tickets
    # ahead, agents online (seen on a staff page or the staff API in the last STAFF_ONLINE_MINUTES)
    # and AVERAGE_HANDLE_MINUTES a ticket. Off: the fixed PICKUP_MINUTES promise (teams that work
    # tickets in another help desk and never open the staff pages).
    queue_estimate: bool = True
    staff_online_minutes: int = Field(default=15, ge=1)
    average_handle_minutes: int = Field(default=5, ge=1)

    # Seconds between looks for new turns of open tickets' conversations (copied into the tickets).
    live_sync_seconds: float = Field(default=2.0, gt=0)

    # --- outbound webhook (off when WEBHOOK_URL is empty) ---
    webhook_url: str = ""
    # HMAC-SHA256 key for X-Tier0-Signature; required when webhook_url is set.
    webhook_secret: str = ""
    webhook_timeout_seconds: float = 5.0
    # Exponential backoff between attempts: base * 2^(attempt-1) seconds, at most max; then given up.
    webhook_backoff_base_seconds: float = 2.0
    webhook_backoff_max_seconds: float = 600.0
    webhook_max_attempts: int = 10
    # How often the delivery worker looks for due deliveries (it is also woken on every new event).
    webhook_poll_seconds: float = 2.0

    # --- live takeover: an agent joins the customer's chat (docs/takeover.md) ---
    # Where this service reaches the Rasa server's HTTP API (the balancer in the scaled setup) and
    # the token that API takes (RASA_API_TOKEN, which bot.rasa_launcher gives Rasa from the environment).
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_api_token: str = ""
    rasa_timeout_seconds: float = 10.0
    # How the customer sees an agent: "Ana from Nimbus support has joined".
    support_team_name: str = "Nimbus support"
    # An agent's message to a customer whose widget went away goes to the address the customer
    # gave, with a link that reopens the chat (handoff_api/customer_contact.py). The link points at
    # the help page on HELP_SITE_URL, is signed with REOPEN_LINK_SECRET (empty: derived from
    # HANDOFF_BOT_TOKEN) and works for REOPEN_LINK_DAYS. Mail goes as the account mail does
    # (SMTP_HOST, else .eml files in MAIL_OUTBOX_DIR).
    mail_agent_replies: bool = True
    help_site_url: str = "http://127.0.0.1:8000"
    reopen_link_secret: str = ""
    reopen_link_days: int = Field(default=14, ge=1)

    # --- pages ---
    # Where the widget on the demo page connects (the Rasa server's socket.io channel).
    rasa_public_url: str = "http://127.0.0.1:5005"
    # The built chat widget (tier0-widget.js, bundled by `make setup` from web/widget/src), served
    # under /widget/. A relative path is taken from the project folder, not the working directory.
    widget_dir: Path = Path("web/dist")

    def insights_settings(self) -> InsightsSettings:
        """The staff pages' insights settings, reading the databases, time zone and KB folders this
        service uses (the rest from `insights`, else the environment)."""
        base = self.insights or InsightsSettings()
        shared = ("database_url", "tracker_db_url", "business_timezone", "kb_drafts_dir", "kb_source_dir")
        return base.model_copy(update={name: getattr(self, name) for name in shared})

    @field_validator("business_days", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip().lower()[:3] for part in value.split(",") if part.strip()]
        unknown = [d for d in value if d not in WEEKDAYS]  # type: ignore[union-attr]
        if unknown:
            raise ValueError(f"unknown weekday(s) {unknown}; use {','.join(WEEKDAYS)}")
        return tuple(value)  # type: ignore[arg-type]

    # insights_low_confidence's empty value is handled by InsightsSettings.
    @field_validator("staff_cookie_secure", "api_docs", mode="before")
    @classmethod
    def _empty_switch_is_unset(cls, value: object) -> object:
        return empty_is_none(value)

    @field_validator("business_holidays", mode="before")
    @classmethod
    def _split_holidays(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("widget_dir")
    @classmethod
    def _widget_dir_from_project(cls, value: Path) -> Path:
        return value if value.is_absolute() else PROJECT_DIR / value

    @property
    def cookie_secure(self) -> bool:
        return self.environment != "development" if self.staff_cookie_secure is None else self.staff_cookie_secure

    @property
    def docs_enabled(self) -> bool:
        return self.environment == "development" if self.api_docs is None else self.api_docs


@lru_cache
def get_settings() -> Settings:
    return Settings()
