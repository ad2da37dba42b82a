"""The public routes (`/feed.atom`, `/feed.json`, `/news`), a WSGI app behind bot/web.py.

bot/web.py sends these paths here only when COOPNEWS_PUBLIC_WEB=1; otherwise
they are 404s like any unknown path. Everything here is read-only: GET and HEAD.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace
from urllib.parse import parse_qs

from bot.public.conditional import entity_tag, is_fresh, validator_headers
from bot.public.feeds import (
    ATOM_TYPE,
    JSON_FEED_TYPE,
    FeedInfo,
    atom_document,
    authority_of,
    feed_updated,
    json_feed_document,
)
from bot.public.news import NewsRequest, render_news
from bot.public.params import parameter
from storage.categories import category_key
from storage.db import Database
from storage.published import feed_state, published_items
from storage.types import utcnow

log = logging.getLogger(__name__)

FEED_PATHS = {"/feed.atom": "atom", "/feed.json": "json"}
NEWS_PATHS = ("/news", "/news/")
PUBLIC_PATHS = frozenset((*FEED_PATHS, *NEWS_PATHS))
MAX_CATEGORY_CHARS = 200
# The page reads three parameters; room for tracking ones (utm_*) that links carry.
MAX_QUERY_FIELDS = 20
# Feed bodies kept per process (each at most ~100 KB: 50 items).
CACHED_FEEDS = 64


class PublicSite:
    """Serves the public paths from the store. `public_url` (COOPNEWS_PUBLIC_URL) fixes the
    links and tag URIs; without it they follow the request's Host."""

    def __init__(self, db: Database, public_url: str | None = None) -> None:
        self.db = db
        self.public_url = public_url.rstrip("/") if public_url else None
        # Feed bodies by ETag: the tag names the store's state and the representation, so
        # an unchanged feed is served from here after its one query, even without a 304.
        self._bodies: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._bodies_lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return _respond(start_response, "405 Method Not Allowed", b"", [("Allow", "GET, HEAD")])
        path = environ.get("PATH_INFO", "")
        try:
            params = parse_qs(environ.get("QUERY_STRING", ""), max_num_fields=MAX_QUERY_FIELDS)
        except ValueError:  # parse_qs refuses more than max_num_fields
            body = b"too many query parameters\n"
            return _respond(
                start_response,
                "400 Bad Request",
                b"" if method == "HEAD" else body,
                [("Content-Type", "text/plain; charset=utf-8")],
                len(body),
            )
        try:
            if path in FEED_PATHS:
                status, body, headers = self._feed(environ, FEED_PATHS[path], params)
            else:
                status, body, headers = self._news(params)
        except Exception:
            log.exception("public page %s failed", path)
            status, body = "503 Service Unavailable", b"coopnews is unavailable, try again soon\n"
            headers = [("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", "30")]
        return _respond(
            start_response, status, b"" if method == "HEAD" else body, headers, len(body)
        )

    def base_url(self, environ: dict) -> str:
        if self.public_url:
            return self.public_url
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
        return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"

    def _feed(self, environ: dict, kind: str, params: dict) -> tuple[str, bytes, list]:
        category = parameter(params, "category", MAX_CATEGORY_CHARS)
        base = self.base_url(environ)
        info = FeedInfo(base, authority_of(base), category or None)
        now = utcnow()
        with self.db.reading() as session:
            state = feed_state(session, now)
            etag = entity_tag(state, f"{kind}\x1f{base}\x1f{category_key(category) or ''}")
            headers = validator_headers(etag, state.last_modified)
            if is_fresh(environ, etag, state.last_modified):
                return "304 Not Modified", b"", headers
            if cached := self._cached(etag):
                return "200 OK", cached[1], [("Content-Type", cached[0]), *headers]
            items = published_items(session, now, category or None)
            if category and items:  # name the category as the items spell it
                info = replace(info, category=items[0].category)
            updated = feed_updated(items, state.last_modified or now)
            if kind == "atom":
                body, content_type = atom_document(items, info, updated), ATOM_TYPE
            else:
                body, content_type = json_feed_document(items, info), JSON_FEED_TYPE
        self._keep(etag, content_type, body)
        return "200 OK", body, [("Content-Type", content_type), *headers]

    def _cached(self, etag: str) -> tuple[str, bytes] | None:
        with self._bodies_lock:
            found = self._bodies.get(etag)
            if found:
                self._bodies.move_to_end(etag)
            return found

    def _keep(self, etag: str, content_type: str, body: bytes) -> None:
        with self._bodies_lock:
            self._bodies[etag] = (content_type, body)
            while len(self._bodies) > CACHED_FEEDS:
                self._bodies.popitem(last=False)

    def _news(self, params: dict) -> tuple[str, bytes, list]:
        with self.db.reading() as session:
            html = render_news(session, NewsRequest.parse(params))
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "public, max-age=60"),
            # No scripts, no frames, no plugins: the page needs none of them.
            (
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        ]
        return "200 OK", html.encode(), headers


def _respond(
    start_response: Callable,
    status: str,
    body: bytes,
    headers: list[tuple[str, str]],
    length: int | None = None,
) -> list[bytes]:
    # A 304 has no body and no Content-Length of its own (RFC 9110 15.4.5).
    if not status.startswith("304"):
        headers = [*headers, ("Content-Length", str(len(body) if length is None else length))]
    start_response(status, headers)
    return [body]
