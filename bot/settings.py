"""Settings from the environment (and `.env`, loaded by the CLI and the web entry point)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

README_HINT = 'see "Create the Slack app" in README.md'
DEFAULT_API_URL = "https://slack.com/api/"
# COOPNEWS_LOG_LEVEL's choices, quietest last (Python's logging level names).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(Exception):
    """A missing or malformed setting; the message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = "sqlite:///coopnews.db"
    admins: frozenset[str] = field(default_factory=frozenset)
    channel: str | None = None
    announce_interval: int = 60
    claim_timeout: int = 300
    # More new items than this for one channel in one pass: one digest instead (0 = off).
    digest_threshold: int = 5
    port: int = 3000
    # Fetch sources on loopback/private/link-local addresses (intranets, tests).
    allow_private_sources: bool = False
    # COOPNEWS_PUBLIC_WEB=1: serve /feed.atom, /feed.json and /news to anyone (README).
    public_web: bool = False
    # The public base URL (https://news.example.org): feeds' links and tag: ids.
    public_url: str | None = None
    log_level: str = "INFO"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def require_slack(self, http: bool) -> None:
        """Stop with one line when the credentials needed to serve are missing."""
        _require_token(self.bot_token, "SLACK_BOT_TOKEN", "xoxb-", "the bot token")
        if http and not self.socket_mode and not self.signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set: copy the app's signing secret into .env "
                f"(or set SLACK_APP_TOKEN for Socket Mode); {README_HINT}"
            )
        if self.app_token:
            _require_token(self.app_token, "SLACK_APP_TOKEN", "xapp-", "the app-level token")


def _require_token(value: str | None, name: str, prefix: str, what: str) -> None:
    if not value:
        raise SettingsError(f"{name} is not set: put {what} ({prefix}...) in .env; {README_HINT}")
    if not value.startswith(prefix):
        raise SettingsError(f"{name} must start with {prefix}: check {what}; {README_HINT}")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")


def log_level(env: Mapping[str, str] | None = None) -> str:
    """COOPNEWS_LOG_LEVEL, one of LOG_LEVELS in any case; INFO when unset.

    Read on its own too: logging is set up before the other settings are checked.
    """
    env = os.environ if env is None else env
    raw = env.get("COOPNEWS_LOG_LEVEL", "").strip().upper() or "INFO"
    if raw not in LOG_LEVELS:
        raise SettingsError(
            f"COOPNEWS_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {raw!r}"
        )
    return raw


DEFAULT_DATABASE = "sqlite:///coopnews.db"
_DATABASE_EXAMPLE = "e.g. postgresql://user:password@host/coopnews or sqlite:///coopnews.db"
# The drivers coopnews is installed with (pyproject.toml); others are not there.
_DRIVERS = {"postgresql": ("psycopg",), "sqlite": ("pysqlite",)}


# user:password@ in a URL SQLAlchemy could not parse: the password is not repeated.
_PASSWORD = re.compile(r"(//[^:/@]*:)[^@]*@")


def check_database_url(raw: str) -> str:
    """`raw` if it is a URL coopnews can use; SettingsError (one line) saying what is wrong.

    PostgreSQL (psycopg 3; `postgres://` as Heroku writes it) or SQLite, whose file
    must be in a folder that exists. The password is never repeated in the message.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from storage.db import normalise_url

    try:
        url = make_url(normalise_url(raw))
        url.port  # noqa: B018 - an unclosed [IPv6 host fails here, with int()'s ValueError
    except (ArgumentError, ValueError):
        masked = _PASSWORD.sub(r"\1***@", raw)
        raise SettingsError(
            f"DATABASE_URL is not a database URL ({_DATABASE_EXAMPLE}); got {masked[:80]!r}"
        ) from None
    shown = url.render_as_string(hide_password=True)
    backend, _, driver = url.drivername.partition("+")
    if backend not in _DRIVERS:
        raise SettingsError(
            f"DATABASE_URL uses {backend!r}: coopnews supports PostgreSQL and SQLite "
            f"({_DATABASE_EXAMPLE})"
        )
    if driver and driver not in _DRIVERS[backend]:
        raise SettingsError(
            f"DATABASE_URL names the driver {driver!r}, which coopnews does not use: "
            f"write {backend}+{_DRIVERS[backend][0]}:// or just {backend}://"
        )
    if backend == "sqlite":
        path = url.database or ""
        if "\x00" in path:  # %00: sqlite3 refuses it with "embedded null byte"
            raise SettingsError(f"DATABASE_URL has a NUL character in the SQLite path: {shown!r}")
        if not path or path == ":memory:":
            raise SettingsError(
                "DATABASE_URL names an in-memory SQLite database, which forgets everything "
                "when the process ends: give a file, e.g. sqlite:///coopnews.db"
            )
        if path and path != ":memory:" and not path.startswith("file:"):
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise SettingsError(
                    f"DATABASE_URL points to a SQLite file in a folder that does not exist "
                    f"({folder}): create it or fix the path in {shown}"
                )
    elif not url.host and not url.query.get("host"):
        raise SettingsError(f"DATABASE_URL has no host name: {shown} ({_DATABASE_EXAMPLE})")
    return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}")
    if not api_url.endswith("/"):
        api_url += "/"
    admins = frozenset(a.strip() for a in env.get("COOPNEWS_ADMINS", "").split(",") if a.strip())
    return Settings(
        bot_token=env.get("SLACK_BOT_TOKEN", "").strip() or None,
        signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip() or None,
        app_token=env.get("SLACK_APP_TOKEN", "").strip() or None,
        api_url=api_url,
        database_url=check_database_url(env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE),
        admins=admins,
        channel=env.get("COOPNEWS_CHANNEL", "").strip() or None,
        announce_interval=_int(env, "COOPNEWS_ANNOUNCE_INTERVAL", 60),
        claim_timeout=_int(env, "COOPNEWS_CLAIM_TIMEOUT", 300),
        digest_threshold=_int(env, "COOPNEWS_DIGEST_THRESHOLD", 5, minimum=0),
        port=_int(env, "PORT", 3000),
        allow_private_sources=_flag(env, "COOPNEWS_ALLOW_PRIVATE_SOURCES"),
        public_web=_flag(env, "COOPNEWS_PUBLIC_WEB"),
        public_url=_public_url(env),
        log_level=log_level(env),
    )


def _public_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("COOPNEWS_PUBLIC_URL", "").strip()
    if not raw:
        return None
    try:  # a host (and a valid port) too: feeds' links and tag: URIs are built on it
        parts = urlsplit(raw)
        usable = bool(parts.hostname) and parts.port != 0  # .port raises when out of range
    except ValueError:  # e.g. an unclosed [IPv6 or a port out of range
        usable = False
    if not usable or not raw.startswith(("http://", "https://")) or "?" in raw or "#" in raw:
        raise SettingsError(
            f"COOPNEWS_PUBLIC_URL must be an http(s) base URL like https://news.example.org, got {raw!r}"
        )
    return raw.rstrip("/")
