"""The WSGI entry point: `/slack/events` for Bolt, `/healthz` for the platform.

gunicorn runs `bot.web:create_wsgi()` (see the Procfile).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import build_app
from bot.deps import build_deps
from bot.settings import Settings, SettingsError, load_settings
from storage.db import Database, upgrade

log = logging.getLogger(__name__)


class WebApp:
    """Routes the few paths we serve; everything else is a 404."""

    def __init__(self, app: App, db: Database) -> None:
        self.bolt = SlackRequestHandler(app, path="/slack/events")
        self.db = db

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            healthy = self.db.ping()
            body = json.dumps({"ok": healthy, "database": "up" if healthy else "down"}).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        return self.bolt(environ, start_response)


def build_web(settings: Settings) -> WebApp:
    deps = build_deps(settings)
    return WebApp(build_app(deps), deps.db)


def create_wsgi() -> WebApp:
    """gunicorn's factory: settings from the environment, migrations, the app."""
    from bot.cli.common import configure_logging, load_environment

    load_environment()
    configure_logging()
    try:
        settings = load_settings()
        settings.require_slack(http=True)
    except SettingsError as exc:
        print(f"coopnews: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    upgrade(settings.database_url)
    return build_web(settings)
