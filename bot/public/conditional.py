"""Conditional GET for the public feeds (RFC 9110 sections 8.8 and 13): validators and 304s.

The validators come from `storage.published.FeedState` (one query), so a
client whose copy is current is answered without reading any item.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from storage.published import FeedState

# Bump when the documents' shape changes, so caches do not keep the old one.
FORMAT_VERSION = "1"
CACHE_CONTROL = "public, max-age=300"


def entity_tag(state: FeedState, variant: str) -> str:
    """A strong ETag (quoted) for one representation: `variant` names the format,
    category and base URL; the state says when the store last changed."""
    parts = [
        FORMAT_VERSION,
        variant,
        state.last_change.isoformat() if state.last_change else "-",
        state.newest_published.isoformat() if state.newest_published else "-",
    ]
    return '"' + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32] + '"'


def http_date(moment: datetime) -> str:
    """An IMF-fixdate (RFC 9110 5.6.7), e.g. `Sun, 29 Nov 2026 20:00:00 GMT`."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def is_fresh(environ: dict, etag: str, last_modified: datetime | None) -> bool:
    """True when the client's copy is current: a 304 is the answer.

    If-None-Match wins when present (weak comparison, `*` matches); otherwise
    If-Modified-Since is compared at whole seconds, as HTTP dates carry.
    """
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        tags = _tags(if_none_match)
        return "*" in tags or etag in tags
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if not since or last_modified is None:
        return False
    try:
        client_time = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored (RFC 9110 13.1.3)
    if client_time.tzinfo is None:
        client_time = client_time.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= client_time


def validator_headers(etag: str, last_modified: datetime | None) -> list[tuple[str, str]]:
    headers = [("ETag", etag), ("Cache-Control", CACHE_CONTROL)]
    if last_modified is not None:
        headers.append(("Last-Modified", http_date(last_modified)))
    return headers
