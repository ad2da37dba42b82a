"""`GET /news`: the public archive page, rendered on the server with Jinja2 (no JavaScript).

Query parameters: `q` (search words, the same search as `/coopnews search`),
`category` (any case, as items spell it; ignored while searching), `page`
(1-based). Item text reaches the page only through Jinja2's autoescaping, and
only http(s) links become `href`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from bot.blocks.text import format_date, safe_url
from bot.public.params import parameter
from sources.text import xml_text
from storage import store
from storage.categories import category_key, spellings
from storage.published import source_titles
from storage.search import MAX_QUERY_CHARS, parse_query, search
from storage.types import utcnow

PAGE_SIZE = store.MAX_LATEST
# Deep pages cost an index walk of (page * size) rows: far enough for people, not for crawlers.
MAX_PAGE = 500
MAX_CATEGORY_LINKS = 100
ORIGIN_NAMES = {"ilo": "ILO cooperatives news", "admin": "coopnews editors", "feed": "a news feed"}


@dataclass(frozen=True)
class NewsPageItem:
    """One item formatted for the /news page: text without control characters but
    unescaped (the template escapes), the link only when http(s), the date as ISO and
    as shown, the source named (not the raw item snapshot App Home caches)."""

    id: int
    title: str
    href: str | None
    date_iso: str
    date_text: str
    source: str
    category: str | None
    summary: str | None


@dataclass(frozen=True)
class NewsRequest:
    q: str = ""
    category: str = ""
    page: int = 1

    @classmethod
    def parse(cls, params: dict[str, list[str]]) -> NewsRequest:
        raw_page = parameter(params, "page", 6)
        page = int(raw_page) if raw_page.isdigit() else 1
        return cls(
            parameter(params, "q", MAX_QUERY_CHARS),
            parameter(params, "category", 200),
            max(1, min(page, MAX_PAGE)),
        )

    def link(self, page: int) -> str:
        params = {"q": self.q} if self.q else {"category": self.category} if self.category else {}
        if page > 1:
            params["page"] = str(page)
        return "/news" + (f"?{urlencode(params)}" if params else "")


@lru_cache(maxsize=1)
def templates() -> Environment:
    return Environment(
        loader=PackageLoader("bot.public", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def source_label(item, titles: dict[int, str]) -> str:
    if item.source_id in titles:
        return titles[item.source_id]
    host = urlsplit(item.url or "").hostname if item.origin != "admin" else None
    return host or ORIGIN_NAMES.get(item.origin, item.origin)


def shown(item, titles: dict[int, str]) -> NewsPageItem:
    published: datetime = item.published_at
    return NewsPageItem(
        id=item.id,
        # Control characters are no text a reader can see (and invalid in HTML).
        title=xml_text(item.title),
        href=safe_url(item.url),
        date_iso=published.date().isoformat(),
        date_text=format_date(published),
        source=xml_text(source_label(item, titles)),
        category=xml_text(item.category) or None,
        summary=xml_text(item.summary) or None,
    )


def render_news(session: Session, request: NewsRequest) -> str:
    """The whole page as HTML text (one search or one `latest` page, plus category links)."""
    offset = (request.page - 1) * PAGE_SIZE
    query = parse_query(request.q)
    # As in the feeds (storage.published): an item dated ahead is public when its time comes.
    now = utcnow()
    if request.q:
        found = search(session, query, limit=PAGE_SIZE, offset=offset, published_by=now)
        items, has_more = found.items, found.has_more
        heading = f"Results for “{request.q}”"
    else:
        items, has_more = store.latest_page(
            session, PAGE_SIZE, request.category or None, offset, published_by=now
        )
        heading = f"Latest in {request.category}" if request.category else "Latest news"
    titles = source_titles(session, (item.source_id for item in items))
    names = spellings(session, MAX_CATEGORY_LINKS)
    category_links = [
        (name, NewsRequest(category=name).link(1))
        for name in sorted(names.values(), key=str.casefold)
    ]
    current_key = category_key(request.category) if not request.q else None
    return (
        templates()
        .get_template("news.html")
        .render(
            request=request,
            heading=heading,
            items=[shown(item, titles) for item in items],
            searched=bool(request.q),
            usable_query=bool(query),
            category_links=category_links,
            current_key=current_key,
            category_key=category_key,
            newer=request.link(request.page - 1) if request.page > 1 else None,
            older=request.link(request.page + 1) if has_more else None,
        )
    )
