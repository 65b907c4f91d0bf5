"""Typed settings, read once from the environment and ``.env``.

The token is a ``SecretStr`` so that printing the settings or a validation error never shows it;
the real environment wins over ``.env``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TOKEN_SHAPE = re.compile(r"^\d{5,12}:[A-Za-z0-9_-]{30,}$")
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,256}")
"""Telegram accepts 1-256 of these characters; under 16 is guessable, so we ask for more."""
WEBHOOK_PATH_SHAPE = re.compile(r"[A-Za-z0-9/_.~-]*")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is safe to print (no secret in it)."""


@dataclass(frozen=True, slots=True)
class Webhook:
    """Webhook mode as configured: the URL Telegram posts to, where we listen, and the secret.

    ``path`` is the path of ``url`` without slashes around it: a reverse proxy passes
    ``https://host/tg`` through as ``POST /tg``, so that is the path the listener must serve.
    """

    url: str
    host: str
    port: int
    path: str
    secret: str


class Settings(BaseSettings):
    """Everything an operator can configure, see README's configuration table."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_path: Path = Path("facenudge.db")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0:8443"
    webhook_secret: SecretStr | None = None
    catch_up_hours: float = Field(default=2.0, ge=0, le=24)
    nudges_per_second: float = Field(default=29.5, gt=0, le=1000)
    max_in_flight: int = Field(default=16, ge=1, le=256)
    """Cap on nudge sends on the wire at once: after ``kill -9`` at most these can repeat."""
    user_burst: float = Field(default=10, ge=1, le=100_000)
    user_per_second: float = Field(default=1.0, gt=0, le=1000)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def catch_up(self) -> timedelta:
        """How late a nudge may still go out after downtime."""
        return timedelta(hours=self.catch_up_hours)

    def token(self) -> str:
        """The validated bot token, or a SettingsError that does not echo it."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather and export it"
            )
        token = self.telegram_bot_token.get_secret_value().strip()
        if not TOKEN_SHAPE.fullmatch(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is malformed: expected <digits>:<35 letters>, "
                "as @BotFather gives"
            )
        return token

    def webhook(self) -> Webhook | None:
        """Webhook mode when WEBHOOK_URL is set, validated; a SettingsError names the problem."""
        if not self.webhook_url:
            return None
        url = urlsplit(self.webhook_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise SettingsError("WEBHOOK_URL must be a full URL, e.g. https://example.org/tg")
        if url.query or url.fragment or not WEBHOOK_PATH_SHAPE.fullmatch(url.path):
            raise SettingsError(
                "WEBHOOK_URL's path may hold only letters, digits and / _ . ~ - "
                "(no query or fragment)"
            )
        if self.webhook_secret is None or not self.webhook_secret.get_secret_value():
            raise SettingsError("WEBHOOK_SECRET is required with WEBHOOK_URL")
        secret = self.webhook_secret.get_secret_value()
        if not SECRET_SHAPE.fullmatch(secret):
            raise SettingsError(
                "WEBHOOK_SECRET must be 16-256 characters of A-Z a-z 0-9 _ - "
                "(Telegram's alphabet), e.g. the output of "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        host, _, port = self.webhook_listen.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError("WEBHOOK_LISTEN must be host:port, e.g. 0.0.0.0:8443")
        return Webhook(self.webhook_url, host, int(port), url.path.strip("/"), secret)


def load_settings() -> Settings:
    """Read settings, turning validation errors into one readable, secret-free line."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None
