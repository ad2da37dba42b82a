"""A linked page's metadata (title, summary, publication date, site name) for the item form.

Read in this order of preference, field by field (the first source that has a
field gives it):

1. JSON-LD (`<script type="application/ld+json">`): the first object whose
   `@type` is `NewsArticle`, `Article`, or another Article kind
   (`ReportageNewsArticle`, `BlogPosting`, …), looked for in lists, `@graph`
   and nested values; `headline` (else `name`), `description`,
   `datePublished`, and `publisher.name` for the site. Malformed blocks are
   skipped, never fatal.
2. OpenGraph (https://ogp.me): `og:title`, `og:description`,
   `article:published_time`, `og:site_name`.
3. Twitter cards: `twitter:title`, `twitter:description`.
4. `<title>` and `<meta name="description">`.

`parse_page_meta` is pure (bytes or text in, PageMeta out); `fetch_page_meta`
reads the page with the guarded fetcher (sources/fetch.py: SSRF rules, size
cap, timeout) and turns every failure into a PageMeta with only a `reason`.
Text is cleaned once (entities decoded once by the HTML parser, tags and
control characters removed by sources/text.html_to_text) and fitted to the
store's limits (storage/limits.py) with domain/text.fit.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.dammit import EncodingDetector

from domain.text import fit, normalise_space
from sources.dates import read_date
from sources.fetch import FetchError, FetchOptions, RefusedAddress, TooLarge, fetch
from sources.text import decode_utf8_leniently, html_to_text
from storage import limits

log = logging.getLogger(__name__)

# A page's metadata is in its head: 2 MB is plenty, and a page fetch must be quick
# (the person waits with a "Reading the page…" modal open).
PAGE_MAX_BYTES = 2 * 1024 * 1024
PAGE_TIMEOUT = 8.0
# The summary a form can hold (bot/blocks/curation.SUMMARY_MAX, Slack's input cap).
SUMMARY_MAX = 3000
TITLE_MAX = 250
SITE_NAME_MAX = 200
# Schema.org types whose instances are articles (https://schema.org/Article, "More specific Types").
ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "blogposting",
        "socialmediaposting",
        "scholarlyarticle",
        "report",
        "techarticle",
        "liveblogposting",
        "webpage",
    }
)
# Preferred over a mere WebPage when a page has both.
_WEAK_TYPES = frozenset({"webpage"})
_HTML_TYPES = ("text/html", "application/xhtml+xml", "")
# `//<![CDATA[` … `//]]>` around a script's JSON (XHTML-era habit of WordPress themes).
_CDATA_EDGES = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")


@dataclass(frozen=True)
class PageMeta:
    """What the form is pre-filled with; `reason` says why a page could not be read."""

    url: str
    title: str | None = None
    summary: str | None = None
    published_at: datetime | None = None  # aware, at the page's own offset (same instant)
    site_name: str | None = None
    reason: str | None = None

    @property
    def found_anything(self) -> bool:
        return bool(self.title or self.summary or self.published_at or self.site_name)


def parse_page_meta(markup: bytes | str, url: str, content_type: str = "") -> PageMeta:
    """HTML (bytes in any declared encoding, or text) -> PageMeta; never raises.

    A document that is not HTML (by `content_type`, e.g. application/pdf)
    gives a PageMeta with a `reason` and nothing else.
    """
    kind = content_type.split(";")[0].strip().lower()
    if kind not in _HTML_TYPES:
        return PageMeta(url, reason=f"the link leads to {kind}, not a web page")
    charset = None
    if isinstance(markup, bytes):
        markup, charset = _decoded(markup, _charset(content_type))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        try:
            soup = BeautifulSoup(markup, "html.parser", from_encoding=charset)
        except Exception as exc:  # html.parser gives up on some broken markup
            log.info("could not parse %s: %s", url, exc)
            return PageMeta(url, reason="the page could not be read as HTML")
    article = _json_ld_article(soup)
    metas = _meta_values(soup)
    # The document's <title>, not an inline SVG icon's (`<svg><title>Menu</title>`).
    title_tag = next((t for t in soup.find_all("title") if not t.find_parent("svg")), None)

    title = _first(
        _ld_text(article, "headline"),
        _ld_text(article, "name"),
        _plain(metas.get("og:title")),
        _plain(metas.get("twitter:title")),
        _plain(title_tag.get_text() if title_tag else None),
    )
    summary = _first(
        _ld_text(article, "description"),
        _plain(metas.get("og:description")),
        _plain(metas.get("twitter:description")),
        _plain(metas.get("description")),
    )
    published_at = None
    for raw in (
        _ld_text(article, "datePublished"),
        metas.get("article:published_time"),
        metas.get("og:published_time"),
    ):
        published_at = _as_written(raw, read_date(raw))
        if published_at is not None:
            break
    site_name = _first(
        _ld_text(_first_object(article.get("publisher")) if article else None, "name"),
        _plain(metas.get("og:site_name")),
        _plain(metas.get("application-name")),
    )
    meta = PageMeta(
        url=url,
        title=fit(title, TITLE_MAX),
        summary=fit(summary, min(SUMMARY_MAX, limits.SUMMARY)),
        published_at=published_at,
        site_name=fit(site_name, SITE_NAME_MAX),
    )
    if not meta.found_anything:
        return PageMeta(url, reason="the page has no title or description to read")
    return meta


def fetch_page_meta(url: str, allow_private: bool = False) -> PageMeta:
    """Fetch `url` with the guarded fetcher and read its metadata; never raises.

    Refused addresses (loopback, private, link-local, on any redirect hop),
    pages over PAGE_MAX_BYTES, PAGE_TIMEOUT and HTTP errors give a PageMeta
    with only a `reason` (a sentence for people).
    """
    options = FetchOptions(
        allow_private=allow_private, timeout=PAGE_TIMEOUT, max_bytes=PAGE_MAX_BYTES
    )
    try:
        fetched = fetch(url, options)
    except RefusedAddress:
        return PageMeta(url, reason="coopnews does not read pages on private or local addresses")
    except TooLarge:
        return PageMeta(url, reason="the page is too large to read")
    except FetchError as exc:
        return PageMeta(url, reason=f"the page could not be fetched ({exc})")
    except Exception as exc:  # never leave the person with a spinning modal
        log.warning("reading %s failed", url, exc_info=True)
        return PageMeta(url, reason=f"the page could not be fetched ({type(exc).__name__})")
    return parse_page_meta(fetched.body, url, fetched.headers.get("content-type", ""))


# -- helpers -----------------------------------------------------------------
def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


def _decoded(body: bytes, charset: str | None) -> tuple[bytes | str, str | None]:
    """The page as text when it is UTF-8, else the bytes and their declared charset
    (BeautifulSoup then reads `<meta charset>` and guesses).

    Bytes that are valid UTF-8 are UTF-8 whatever the header or `<meta>` declares
    (UTF-8 sent as ISO-8859-1 is a common mistake; real Latin-1 text is almost never
    valid UTF-8). A page declared UTF-8 with a few invalid bytes has them read as
    Windows-1252 (sources/text.decode_utf8_leniently) instead of the whole page
    being re-guessed as another encoding."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body, charset  # UTF-16: BeautifulSoup's detection
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    declared = charset or EncodingDetector.find_declared_encoding(body, is_html=True)
    if declared and declared.strip().lower().replace("_", "-") in ("utf-8", "utf8"):
        return decode_utf8_leniently(body), None
    return body, charset


def _as_written(raw: str | None, moment: datetime | None) -> datetime | None:
    """`moment` (read_date's UTC) at the offset the page wrote, so that its `.date()`
    is the day printed on the page (00:30 in Paris on the 20th is the 19th in UTC).
    The same instant either way; UTC when the offset cannot be read back."""
    if moment is None or not raw:
        return moment
    for parse in (datetime.fromisoformat, email.utils.parsedate_to_datetime):
        try:
            written = parse(raw.strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        if written.tzinfo is not None and written == moment:
            return written
    return moment


def _plain(value: str | None) -> str | None:
    """Text of an attribute or element: the HTML parser already decoded its entities
    (once), so only control characters and runs of spaces go."""
    return normalise_space(value) if value else None


def _first(*values: str | None) -> str | None:
    return next((value for value in values if value), None)


def _meta_values(soup: BeautifulSoup) -> dict[str, str]:
    """`<meta property|name=… content=…>`, first of each name, names lower-cased."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        name = tag.get("property") or tag.get("name") or tag.get("itemprop")
        content = tag.get("content")
        if isinstance(name, list):
            name = name[0] if name else None
        if not name or not isinstance(content, str) or not content.strip():
            continue
        found.setdefault(name.strip().lower(), content)
    return found


def _ld_text(node, key: str) -> str | None:
    """A JSON-LD string value as text. JSON strings are not HTML-decoded by the parser
    (script content is raw), and publishers put entities and tags in them: read once here."""
    if not isinstance(node, dict):
        return None
    value = node.get(key)
    if isinstance(value, dict):  # {"@value": "…"} or a nested object with a name
        value = value.get("@value") or value.get("name")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    return html_to_text(value) or None


def _first_object(value):
    """A JSON-LD value that may be one object or a list of them: the first object."""
    if isinstance(value, list):
        return next((v for v in value if isinstance(v, dict)), None)
    return value


def _types(node: dict) -> set[str]:
    raw = node.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    # "http://schema.org/NewsArticle" and "schema:NewsArticle" name the same type.
    return {n.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for n in names if isinstance(n, str)}


def _walk(node, depth: int = 0) -> Iterator[dict]:
    """Every object in a JSON-LD value, outer before inner (lists, @graph, nested values)."""
    if depth > 8:
        return
    if isinstance(node, list):
        for value in node:
            yield from _walk(value, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key != "@context" and isinstance(value, dict | list):
                yield from _walk(value, depth + 1)


def _json_ld_article(soup: BeautifulSoup) -> dict | None:
    """The first Article-like object of the page's JSON-LD blocks (a WebPage only if no
    article is found); malformed blocks are skipped."""
    weak = None
    for script in soup.find_all("script"):
        kind = (script.get("type") or "").split(";")[0].strip().lower()
        if kind != "application/ld+json":
            continue
        text = _CDATA_EDGES.sub("", script.string or script.get_text() or "")
        try:
            data = json.loads(text.strip().removeprefix("<!--").removesuffix("-->"), strict=False)
        except ValueError:
            continue
        for node in _walk(data):
            types = _types(node) & ARTICLE_TYPES
            if not types:
                continue
            if types - _WEAK_TYPES:
                return node
            weak = weak or node
    return weak
