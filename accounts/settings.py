"""Account backend settings from the environment (documented in .env.example): which backend,
the demo backend's database and secret, one-time codes, reset links and mail."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class AccountSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Reset links point at this site's /reset page unless password_reset_url says otherwise.
    help_site_url: str = "http://127.0.0.1:8000"
    # How long a verification by code lets account actions run in its conversation.
    verification_grant_seconds: int = 1800
    # Dotted path of the AccountBackend class; swap in an adapter for a real identity/billing API.
    account_backend: str = "accounts.demo.DemoAccountBackend"
    # SQLite file of the demo backend (customers, codes, licences, plans, audit log).
    accounts_db_path: Path = Path("var/accounts.db")
    # HMAC key for one-time codes and reset tokens; empty = a random key generated once into
    # account_secret next to the accounts database (kept out of the database on purpose).
    account_secret: str = ""
    # One-time codes: lifetime and wrong tries before the code is burned (Nimbus: 10 minutes, 3 tries).
    otp_ttl_seconds: int = 600
    otp_max_attempts: int = 3
    # Reset links: page the link points to (empty = <help_site_url>/reset) and lifetime (60 minutes).
    password_reset_url: str = ""
    reset_token_ttl_seconds: int = 3600
    # Mail: SMTP when smtp_host is set, otherwise every message is an .eml file in mail_outbox_dir.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Nimbus <no-reply@nimbus.example>"
    mail_outbox_dir: Path = Path("var/outbox")


@lru_cache
def get_settings() -> AccountSettings:
    return AccountSettings()
