"""What makes two entries the same story: canonical links, title-day keys, entry keys.

Pure functions, shared by the store (matching), the models (the indexed
`link_key`/`title_key` columns) and migration 0007. The rules are in the
README ("How an entry's identity works").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

# Query parameters that say who sent a reader, not which page: dropped from canonical links.
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "ref"})
_DEFAULT_PORTS = (80, 443)

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NOT_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=8192)  # imports repeat many parts (origins, dates, categories)
def normalise_text(text: str) -> str:
    """Case-, accent-, punctuation- and whitespace-insensitive form used for identity."""
    text = text.casefold()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _NOT_WORD.sub(" ", text).strip()


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _is_tracking(param: str) -> bool:
    name = param.split("=", 1)[0].lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


def canonical_link(url: str) -> str:
    """The form under which two links name the same page: `//host[:port]/path?query#fragment`.

    Ignored (RFC 3986 section 6 equivalences, plus what feeds vary in practice): the
    scheme (http/https), host case, a default port (80, 443), a trailing slash,
    tracking parameters (`utm_*`, fbclid, gclid, mc_cid, mc_eid, ref). Kept: path
    case, the other parameters in their order, and the fragment (one page per day
    with an anchor per entry is common: `…/26.html#a080605`). A string that is not
    an http(s) URL is returned trimmed.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not host:
        return url
    if port and port not in _DEFAULT_PORTS:
        host = f"{host}:{port}"
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    out = f"//{host}{parts.path.rstrip('/')}"
    if query:
        out += f"?{query}"
    if parts.fragment:
        out += f"#{parts.fragment}"
    return out


@lru_cache(maxsize=16384)  # a poll compares each entry's link with its stored key's
def link_key(url: str | None) -> str | None:
    """items.link_key: a hash of the canonical link (indexed, fixed width)."""
    return sha256(canonical_link(url)) if url and url.strip() else None


def title_key(title: str | None, published_at: datetime | None) -> str | None:
    """items.title_key: the normalised title and the day (UTC) it was published."""
    if not title or published_at is None:
        return None
    return sha256(f"{normalise_text(title)}\x1f{published_at.date().isoformat()}")


def key_hash(key: str) -> str:
    """entry_keys.key_hash: an entry key as written (guid, link, or title and date)."""
    return sha256(key)


def source_scope(source_id: int) -> str:
    """The scope of a followed source's entry keys."""
    return f"source:{source_id}"


def import_scope(where: str) -> str:
    """The scope of a one-off import: the URL or the file's absolute path."""
    return f"import:{sha256(where)[:40]}"
