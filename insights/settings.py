"""Settings of the review inbox and the analytics (environment and `.env`, documented in .env.example).

The handoff service holds one of these for its staff pages (handoff_api/settings.py `insights`),
given the databases, time zone and KB folders it uses itself, so that its pages and this package's
CLI read the same ones.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parents[1]


def fallback_threshold(config_path: Path) -> float:
    """The FallbackClassifier threshold of the Rasa pipeline: below it the bot already asks "did you
    mean...?", so it is the natural line for "low confidence" too."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))  # Rasa's own default
    raise ValueError(f"{config_path} has no FallbackClassifier; set INSIGHTS_LOW_CONFIDENCE")


def empty_is_none(value: object) -> object:
    """`INSIGHTS_LOW_CONFIDENCE=` in .env means "not set", not "not a number"."""
    return None if isinstance(value, str) and not value.strip() else value


def known_zone(value: str) -> str:
    """An IANA time zone name, or a clear error."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class BusinessTime(BaseSettings):
    """Days begin at midnight here: a support lead's "Monday" is a local day (the analytics, the
    staff pages' times, business hours). Shared by the insights' and the handoff service's settings."""

    business_timezone: str = "Europe/Berlin"

    @field_validator("business_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.business_timezone)


class InsightsSettings(BusinessTime):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Rasa's SQL tracker store (the same URL as endpoints.yml) and the handoff tickets.
    tracker_db_url: str = "sqlite:///var/rasa_tracker.db"
    database_url: str = "sqlite:///var/handoff.db"
    # A customer message whose best intent scored below this is "low confidence"; empty = the
    # FallbackClassifier threshold of config.yml (read from there, so the two never drift apart).
    insights_low_confidence: float | None = Field(default=None, ge=0, le=1)
    # Two unanswered messages whose KB-embedding cosine is at least this are one inbox group.
    insights_group_similarity: float = Field(default=0.65, gt=0, le=1)
    # Days a resolved conversation must stay without a new one from the same customer to count as
    # resolved at first contact.
    insights_fcr_days: int = Field(default=7, ge=1)
    # Days the inbox looks back when no range is given.
    insights_inbox_days: int = Field(default=30, ge=1)
    # Project files; a relative path is taken from the project folder, not the working directory.
    nlu_data_dir: Path = Path("bot/data/nlu")
    domain_path: Path = Path("domain.yml")
    rasa_config_path: Path = Path("config.yml")
    # The flows the action server runs (BOT_FLOWS_DIR there too): new answers of an option go here.
    bot_flows_dir: Path = Path("bot/flows")
    # KB article stubs go where the ticket drafts go (kb_index/drafts.py), never into the articles.
    kb_drafts_dir: Path = Path("kb/drafts")
    kb_source_dir: Path = Path("kb/articles")
    # The inbox groups messages with the KB's own embedding model (never downloaded).
    kb_embedding_model: str = "minilm-int8-onnx"
    # Where the staff pages are: the CLI prints links to the conversations there.
    handoff_api_url: str = "http://127.0.0.1:8000"

    @field_validator("insights_low_confidence", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return empty_is_none(value)

    @field_validator("nlu_data_dir", "domain_path", "rasa_config_path", "bot_flows_dir")
    @classmethod
    def _from_project(cls, value: Path) -> Path:
        return value if value.is_absolute() else PROJECT_DIR / value

    @cached_property
    def low_confidence(self) -> float:
        if self.insights_low_confidence is not None:
            return self.insights_low_confidence
        return fallback_threshold(self.rasa_config_path)
