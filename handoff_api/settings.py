"""Handoff API settings from the environment (documented in .env.example)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # SQLite file by default; e.g. postgresql+psycopg://user@127.0.0.1:5432/test for PostgreSQL.
    database_url: str = "sqlite:///var/handoff.db"
    # Shared secret the bot's action server sends as "Authorization: Bearer <token>".
    handoff_bot_token: str = "dev-bot-token"
    # Where the widget on the demo page connects (the Rasa server's socket.io channel).
    rasa_public_url: str = "http://127.0.0.1:5005"
    # Longest transcript turn we accept; longer requests get a 422 that says so.
    max_turn_chars: int = 5000
    max_turns: int = 1000
    # Static files of the web widget installed from the npm registry at set-up time.
    web_vendor_dir: Path = Path("web/node_modules")
    kb_source_dir: Path = Path("kb/articles")


@lru_cache
def get_settings() -> Settings:
    return Settings()
