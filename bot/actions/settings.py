"""Action server settings from the environment (documented in .env.example)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ActionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    action_host: str = "127.0.0.1"
    action_port: int = 5055
    # Where tickets go, and the token that proves the bot is the bot.
    handoff_api_url: str = "http://127.0.0.1:8000"
    handoff_bot_token: str = "dev-bot-token"
    handoff_timeout_seconds: float = 5.0
    # KB article urls are paths (/help/articles/<id>); the bot cites them on this site.
    help_site_url: str = "http://127.0.0.1:8000"


@lru_cache
def get_settings() -> ActionSettings:
    return ActionSettings()
