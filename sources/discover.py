"""Find a web page's feed: `<link rel="alternate" type="application/rss+xml" href=...>`."""

from __future__ import annotations

import warnings
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

FEED_TYPES = (
    "application/atom+xml",
    "application/rss+xml",
    "application/rdf+xml",
    "application/feed+xml",
)


def feed_links(page: bytes, page_url: str) -> list[str]:
    """Absolute http(s) URLs of the page's advertised feeds, in page order.

    Page order, not format preference: sites list their main feed first and
    comment feeds after it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(page, "html.parser")
    base_tag = soup.find("base", href=True)
    base = urljoin(page_url, base_tag["href"]) if base_tag else page_url
    found: list[str] = []
    for tag in soup.find_all("link", href=True):
        rel = tag.get("rel") or []
        rels = {r.lower() for r in (rel if isinstance(rel, list) else rel.split())}
        kind = (tag.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or kind not in FEED_TYPES:
            continue
        url = urljoin(base, tag["href"].strip())
        if urlsplit(url).scheme.lower() in ("http", "https"):
            found.append(url)
    return list(dict.fromkeys(found))
