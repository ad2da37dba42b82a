"""Serving: gunicorn for HTTP, Socket Mode, and the all-in-one `coopnews run`."""

from __future__ import annotations

import logging
import os

from slack_sdk.errors import SlackApiError

from bot.settings import Settings, SettingsError
from storage.db import Database

log = logging.getLogger(__name__)


def run_gunicorn(settings: Settings) -> None:
    """Exec gunicorn as the Procfile does, so `coopnews web` and production match."""
    os.environ.setdefault("PORT", str(settings.port))
    args = ["gunicorn", "--config", "python:bot.gunicorn_conf", "bot.web:create_wsgi()"]
    os.execvp("gunicorn", args)


def run_all(settings: Settings, db: Database) -> None:
    from bot.app import build_app
    from bot.deps import build_deps
    from bot.scheduler import build_scheduler

    deps = build_deps(settings, db)
    # Over HTTP the app is served inside WebApp, which checks every signature first.
    app = build_app(deps, signatures_checked_before=not settings.socket_mode)
    scheduler = build_scheduler(deps, blocking=False)
    scheduler.start()
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("coopnews running in Socket Mode")
            try:
                SocketModeHandler(app, settings.app_token).start()
            except SlackApiError as exc:  # apps.connections.open refused the token
                raise SettingsError(
                    f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): create an "
                    "app-level token (xapp-) with connections:write under Basic Information "
                    "→ App-Level Tokens (README: Create the Slack app)"
                ) from None
        else:
            _serve_threaded(settings, app, db)
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)


def _serve_threaded(settings: Settings, app, db: Database) -> None:
    """A small threaded WSGI server for one-process installs; production uses gunicorn."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from bot.web import WebApp, public_site

    class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - stdlib signature
            log.debug(format, *args)

    server = make_server(
        "0.0.0.0",
        settings.port,
        WebApp(app, db, settings.signing_secret or "", public_site(settings, db)),
        ThreadingWSGIServer,
        QuietHandler,
    )
    log.info("coopnews listening on http://0.0.0.0:%s/slack/events", settings.port)
    server.serve_forever()
