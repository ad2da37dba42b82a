"""The WSGI entry point: `/slack/events` for Bolt, `/healthz` for the platform, and the
public feeds and archive page (bot/public/) when COOPNEWS_PUBLIC_WEB=1.

gunicorn runs `bot.web:create_wsgi()` (see the Procfile).
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot.app import build_app
from bot.deps import build_deps
from bot.public.site import PUBLIC_PATHS, PublicSite
from bot.settings import Settings, SettingsError, load_settings
from storage.db import SERVING_PAGE_CACHE_KIB, Database

log = logging.getLogger(__name__)

# Slack's own requests are a few kilobytes; 1 MB leaves room and bounds the work.
MAX_BODY_BYTES = 1_000_000
# A refused body up to this size is read and dropped (never parsed) so the client,
# still sending, reads our 413 instead of a connection reset; a bigger one is not.
DRAIN_MAX_BYTES = 8_000_000
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class WebApp:
    """Routes the few paths we serve; everything else is a 404."""

    def __init__(
        self, app: App, db: Database, signing_secret: str, public: PublicSite | None = None
    ) -> None:
        self.bolt = SlackRequestHandler(app, path="/slack/events")
        self.db = db
        self.verifier = SignatureVerifier(signing_secret)
        # None unless COOPNEWS_PUBLIC_WEB=1: the public paths are then 404s like any other.
        self.public = public

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            # 503 unless the store answers and can be written ("read-only", "down").
            database = self.db.health()
            healthy = database == "up"
            status = "200 OK" if healthy else "503 Service Unavailable"
            return _json(start_response, status, {"ok": healthy, "database": database})
        if path == "/slack/events" and environ.get("REQUEST_METHOD") == "POST":
            return self._slack(environ, start_response)
        if self.public is not None and path in PUBLIC_PATHS:
            return self.public(environ, start_response)
        return self.bolt(environ, start_response)

    def _slack(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Size and signature are checked here, before Bolt parses anything or logs it.

        Over MAX_BODY_BYTES: 413, never parsed (read and dropped up to DRAIN_MAX_BYTES,
        so the client reads the 413 rather than a reset). A timestamp that is not a number, more than
        five minutes off, or a signature that does not match: 401, logged in one line
        without the body ("Verifying requests from Slack":
        https://api.slack.com/authentication/verifying-requests-from-slack).
        """
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared and not declared.isdigit():
            return _json(start_response, "400 Bad Request", {"error": "bad Content-Length"})
        if declared and int(declared) > MAX_BODY_BYTES:
            log.info("refused a %s-byte request to /slack/events: too large", declared)
            _drain(environ["wsgi.input"], int(declared))
            return _json(start_response, "413 Content Too Large", {"error": "request too large"})
        body = environ["wsgi.input"].read(int(declared) if declared else MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            log.info("refused a request to /slack/events over %s bytes: too large", MAX_BODY_BYTES)
            return _json(start_response, "413 Content Too Large", {"error": "request too large"})
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not _TIMESTAMP.fullmatch(timestamp) or not self.verifier.is_valid(
            body, timestamp, signature
        ):
            log.info(
                "refused a %d-byte request to /slack/events: bad signature or timestamp", len(body)
            )
            return _json(start_response, "401 Unauthorized", {"error": "invalid signature"})
        # Keep the body: if Bolt cannot parse it, we still answer 400, not a bare 500.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        try:
            return self.bolt(environ, start_response)
        except Exception:
            log.warning("a signed request Bolt could not handle", exc_info=True)
            return _json(start_response, "400 Bad Request", {"error": "malformed request"})


def _json(start_response: Callable, status: str, payload: dict) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def public_site(settings: Settings, db: Database) -> PublicSite | None:
    """The public routes when COOPNEWS_PUBLIC_WEB=1, else None (they are 404s)."""
    return PublicSite(db, settings.public_url) if settings.public_web else None


def build_web(settings: Settings, db: Database | None = None) -> WebApp:
    deps = build_deps(settings, db)
    public = public_site(settings, deps.db)
    # WebApp checks every signature before Bolt sees the request (WebApp._slack).
    app = build_app(deps, signatures_checked_before=True)
    return WebApp(app, deps.db, settings.signing_secret or "", public)


def create_wsgi() -> WebApp:
    """gunicorn's factory: settings from the environment, migrations, the app."""
    from bot.cli.common import configure_logging, load_environment, open_database

    load_environment()
    configure_logging()
    try:
        settings = load_settings()
        settings.require_slack(http=True)
        # Migrations, and the sample listing on a first start (as `coopnews run` does).
        db = open_database(settings, seed=True, page_cache_kib=SERVING_PAGE_CACHE_KIB)
        return build_web(settings, db)
    except SettingsError as exc:
        print(f"coopnews: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _drain(stream, declared: int) -> None:
    """Read and drop a refused body, 64 KiB at a time, when it is small enough."""
    if declared > DRAIN_MAX_BYTES:
        return
    left = declared
    while left > 0:
        chunk = stream.read(min(65536, left))
        if not chunk:
            return
        left -= len(chunk)
