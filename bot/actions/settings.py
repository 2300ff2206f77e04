"""Action server settings from the environment (documented in .env.example)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ActionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    action_host: str = "127.0.0.1"
    action_port: int = 5055
    # Where tickets go, and the token that proves the bot is the bot (no default: `make setup`
    # writes a random one into .env; the server refuses to start without it).
    handoff_api_url: str = "http://127.0.0.1:8000"
    handoff_bot_token: str = ""
    # What Rasa sends as "Authorization: Bearer <token>" on every action call (endpoints.yml); any
    # other caller gets 401. The same rules as above.
    action_server_token: str = ""
    # Encrypts the secret slot values the action server needs again later (a licence key), so
    # Rasa's tracker store keeps ciphertext only (bot/actions/sealed_slots.py). Same rules.
    slot_seal_secret: str = ""
    handoff_timeout_seconds: float = 5.0
    # Largest request body (Rasa's call with the tracker) the action server reads; larger get 413.
    action_request_max_bytes: int = Field(default=16_000_000, ge=1_000_000)
    # Durable outbox of escalations (bot/actions/handoff_outbox.py): the SQLite file, how often the
    # action server looks for undelivered ones, and the exponential backoff between tries.
    handoff_outbox_path: Path = Path("var/handoff_outbox.db")
    handoff_retry_poll_seconds: float = 2.0
    handoff_retry_base_seconds: float = 2.0
    handoff_retry_max_seconds: float = 300.0
    # Retention: delivered or refused escalations lose their conversation copy (the reference keeps
    # pointing at its ticket), and mailed codes and reset links in MAIL_OUTBOX_DIR are deleted.
    outbox_retention_days: float = Field(default=7, gt=0)
    # Rasa's HTTP API, to read a restated problem on its own ("no, that's not it: ..."): /model/parse.
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_api_token: str = ""
    rasa_parse_timeout_seconds: float = 3.0
    # A how-to question that names a problem ("how do I add a printer by IP?") is answered from the
    # KB first when its best article scores at least this (KB_MIN_SCORE is the floor for any answer).
    kb_first_min_score: float = 0.45
    # KB article urls are paths (/help/articles/<id>); the bot cites them on this site.
    help_site_url: str = "http://127.0.0.1:8000"

    # --- limits that hold across re-sends, conversations and processes (common/rate_limits.py) ---
    # Where they are counted: redis://... in the scaled setup, else this database (shared with Rasa).
    rate_limit_url: str = "sqlite:///var/rate_limits.db"
    # One-time codes: per email and hour, per conversation and hour, per client address and hour;
    # wrong codes per email and day (then the account is locked and a person takes over).
    otp_codes_per_email_hour: int = 3
    otp_codes_per_conversation_hour: int = 3
    otp_codes_per_client_hour: int = 10
    otp_failures_per_email_day: int = 6
    # Tickets a conversation opens in an hour: asking again names the ticket it has.
    escalations_per_conversation_hour: int = 1
    # Tickets from one client address in an hour before further ones are flagged for the team
    # (flood_suspected); they are filed all the same.
    escalations_per_client_hour: int = 20


@lru_cache
def get_settings() -> ActionSettings:
    return ActionSettings()
