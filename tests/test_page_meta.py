"""A linked page's metadata (sources/page_meta.py): real-shaped pages, in order of preference."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sources.page_meta import fetch_page_meta, parse_page_meta

URL = "https://news.example.coop/2026/story"


def page(head: str, body: str = "<p>Body text</p>") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def ld(data) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


OPEN_GRAPH = """
<meta property="og:title" content="OG title">
<meta property="og:description" content="OG description">
<meta property="article:published_time" content="2026-11-20T08:30:00+01:00">
<meta property="og:site_name" content="Coop Wire">
<meta name="twitter:title" content="Twitter title">
<meta name="twitter:description" content="Twitter description">
<title>Title tag | Coop Wire</title>
<meta name="description" content="Meta description">
"""


def test_json_ld_news_article_comes_first():
    head = OPEN_GRAPH + ld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "Worker co-ops grow in Kenya",
            "description": "A survey of &amp; about worker cooperatives.",
            "datePublished": "2026-11-19T10:00:00Z",
            "publisher": {"@type": "Organization", "name": "Coop News Agency"},
        }
    )
    meta = parse_page_meta(page(head), URL, "text/html; charset=utf-8")
    assert meta.title == "Worker co-ops grow in Kenya"
    assert meta.summary == "A survey of & about worker cooperatives."
    assert meta.published_at == datetime(2026, 11, 19, 10, 0, tzinfo=UTC)
    assert meta.site_name == "Coop News Agency"
    assert meta.reason is None


def test_open_graph_when_there_is_no_json_ld():
    meta = parse_page_meta(page(OPEN_GRAPH), URL, "text/html")
    assert (meta.title, meta.summary, meta.site_name) == ("OG title", "OG description", "Coop Wire")
    assert meta.published_at == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)


def test_twitter_cards_then_title_and_description():
    twitter = """<meta name="twitter:title" content="Twitter title">
    <title>Title tag</title><meta name="description" content="Meta description">"""
    meta = parse_page_meta(page(twitter), URL, "text/html")
    assert (meta.title, meta.summary) == ("Twitter title", "Meta description")
    plain = parse_page_meta(page("<title> Just  a\n title </title>"), URL, "text/html")
    assert (plain.title, plain.summary, plain.published_at) == ("Just a title", None, None)


def test_graph_lists_and_types_as_lists_are_searched():
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Site"},
            {"@type": "WebPage", "name": "The page", "description": "Page description"},
            {
                "@type": ["Article", "Thing"],
                "headline": "In the graph",
                "datePublished": "2026-11-02",
            },
        ],
    }
    meta = parse_page_meta(page(ld(graph)), URL, "text/html")
    assert meta.title == "In the graph"  # the Article, not the WebPage before it
    assert meta.published_at == datetime(2026, 11, 2, tzinfo=UTC)
    listed = [
        {"@type": "BreadcrumbList"},
        {"@type": "http://schema.org/NewsArticle", "headline": "Listed"},
    ]
    assert parse_page_meta(page(ld(listed)), URL, "text/html").title == "Listed"
    nested = {"@type": "WebPage", "mainEntity": {"@type": "BlogPosting", "headline": "Nested"}}
    assert parse_page_meta(page(ld(nested)), URL, "text/html").title == "Nested"


def test_malformed_json_ld_is_skipped_and_the_next_block_or_open_graph_used():
    broken = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    meta = parse_page_meta(page(broken + OPEN_GRAPH), URL, "text/html")
    assert meta.title == "OG title"
    two = broken + ld({"@type": "Article", "headline": "Second block"})
    assert parse_page_meta(page(two), URL, "text/html").title == "Second block"


def test_several_articles_the_first_wins_and_missing_fields_come_from_open_graph():
    head = (
        ld({"@type": "NewsArticle", "headline": "First"})
        + ld({"@type": "NewsArticle", "headline": "Second", "description": "Not this one"})
        + OPEN_GRAPH
    )
    meta = parse_page_meta(page(head), URL, "text/html")
    assert meta.title == "First"
    assert meta.summary == "OG description"  # field by field
    assert meta.site_name == "Coop Wire"


def test_entities_are_decoded_once_and_markup_is_text():
    head = (
        '<meta property="og:title" content="Fish &amp;amp; chips &lt;b&gt;co-op&lt;/b&gt;">'
        '<meta property="og:description" content="&lt;!channel&gt; AT&amp;T">'
    )
    meta = parse_page_meta(page(head), URL, "text/html")
    assert meta.title == "Fish &amp; chips <b>co-op</b>"  # what the page says, read once
    assert meta.summary == "<!channel> AT&T"  # escaping for Slack happens in bot/blocks


def test_no_head_no_metadata_and_not_html():
    meta = parse_page_meta("<p>only a paragraph</p>", URL, "text/html")
    assert meta.reason and not meta.found_anything
    assert parse_page_meta("<title>Headless</title><p>x</p>", URL, "").title == "Headless"
    pdf = parse_page_meta(b"%PDF-1.7 ...", URL, "application/pdf")
    assert pdf.reason == "the link leads to application/pdf, not a web page"


def test_declared_charset_and_bytes():
    body = page('<meta charset="iso-8859-1"><title>Coop\xe9rative</title>').encode("latin-1")
    assert parse_page_meta(body, URL, "text/html").title == "Coopérative"
    utf8 = page("<title>Agtaş</title>").encode()
    assert parse_page_meta(utf8, URL, "text/html; charset=utf-8").title == "Agtaş"


def test_long_text_is_fitted_and_bad_dates_are_dropped():
    head = ld(
        {
            "@type": "Article",
            "headline": "word " * 200,
            "description": "long " * 2000,
            "datePublished": "0001-01-01T00:00:00Z",
        }
    )
    meta = parse_page_meta(page(head), URL, "text/html")
    assert len(meta.title) <= 250 and meta.title.endswith("…")
    assert len(meta.summary) <= 3000
    assert meta.published_at is None


def test_a_huge_page_is_refused_and_a_private_address_too(feed_server):
    feed_server.serve("/huge", page("<title>Big</title>", "x" * (3 * 1024 * 1024)), "text/html")
    meta = fetch_page_meta(feed_server.url("/huge"), allow_private=True)
    assert meta.reason == "the page is too large to read" and meta.title is None
    feed_server.serve("/ok", page(OPEN_GRAPH), "text/html")
    refused = fetch_page_meta(feed_server.url("/ok"), allow_private=False)
    assert refused.reason == "coopnews does not read pages on private or local addresses"
    assert feed_server.requests_to("/ok") == []  # refused before connecting


def test_redirects_are_followed_and_errors_explained(feed_server):
    feed_server.serve("/final", page(OPEN_GRAPH), "text/html")
    feed_server.redirect("/moved", feed_server.url("/final"))
    meta = fetch_page_meta(feed_server.url("/moved"), allow_private=True)
    assert meta.title == "OG title"
    assert meta.url == feed_server.url("/moved")  # the link as given is kept
    feed_server.fail("/gone", 404)
    gone = fetch_page_meta(feed_server.url("/gone"), allow_private=True)
    assert "HTTP 404" in gone.reason
    feed_server.serve("/pdf", b"%PDF", "application/pdf")
    assert "not a web page" in fetch_page_meta(feed_server.url("/pdf"), allow_private=True).reason


def test_a_redirect_to_a_private_address_is_refused(feed_server, monkeypatch):
    from sources import fetch as fetch_module

    # As tests/test_feed_fetch.py: 127.0.0.1 counts as public, so only the target is not.
    monkeypatch.setattr(fetch_module, "is_public_address", lambda address: address == "127.0.0.1")
    port = feed_server.base_url.rsplit(":", 1)[1]
    feed_server.redirect("/start", f"http://127.0.0.2:{port}/secret", status=302)
    meta = fetch_page_meta(feed_server.url("/start"), allow_private=False)
    assert meta.reason == "coopnews does not read pages on private or local addresses"
    assert meta.title is None
    assert [r.path for r in feed_server.requests] == ["/start"]


def test_a_utf8_page_with_one_stray_byte_is_not_read_as_mojibake():
    """A UTF-8 page (declared) with one Windows-1252 byte in its body: the title is
    still read as UTF-8 (sources/text.decode_utf8_leniently), not the whole page
    re-guessed as another encoding ("CoopĂ©rative â€” news")."""
    head = '<meta charset="utf-8"><title>Coopérative — news</title>'
    body = page(head).encode() + b"<p>Caf\xe9 \x96 stray</p>"
    for content_type in ("text/html; charset=utf-8", "text/html"):
        assert parse_page_meta(body, URL, content_type).title == "Coopérative — news"


def test_a_utf8_page_declared_as_latin1_is_read_as_utf8():
    """Charset declared wrongly (header or meta says ISO-8859-1/Windows-1252, the bytes
    are UTF-8): valid UTF-8 with non-ASCII characters is not Latin-1 text."""
    head = '<meta charset="iso-8859-1"><title>Coopérative — news</title>'
    body = page(head).encode()
    for content_type in ("text/html; charset=windows-1252", "text/html"):
        assert parse_page_meta(body, URL, content_type).title == "Coopérative — news"
    # A page really in Latin-1 is still read as declared.
    latin = page('<meta charset="iso-8859-1"><title>Coopérative</title>').encode("latin-1")
    assert parse_page_meta(latin, URL, "text/html").title == "Coopérative"


def test_the_publication_day_is_the_one_written_on_the_page():
    """An article published at 00:30 in Paris is dated 20 November on its page: the
    form's Date (published_at.date()) must say the 20th, not the 19th (UTC)."""
    for written in ("2026-11-20T00:30:00+02:00", "Fri, 20 Nov 2026 00:30:00 +0200"):
        head = ld({"@type": "NewsArticle", "headline": "Late", "datePublished": written})
        meta = parse_page_meta(page(head), URL, "text/html")
        assert meta.published_at == datetime(2026, 11, 19, 22, 30, tzinfo=UTC)
        assert meta.published_at.date().isoformat() == "2026-11-20", written
    # Far east: a morning article in Auckland is dated its own day too.
    og = '<meta property="og:title" content="Kia ora">'
    og += '<meta property="article:published_time" content="2026-11-20T08:00:00+13:00">'
    assert parse_page_meta(page(og), URL, "text/html").published_at.day == 20


def test_a_date_written_month_first_is_read():
    """A date like "November 20, 2026" (US pages, many CMSs): the month is not a day name to drop
    (sources/dates.py dropped every leading word, leaving "20, 2026": no date)."""
    for written in ("November 20, 2026", "Nov 20, 2026 10:00 AM", "March 3, 2026"):
        head = ld({"@type": "NewsArticle", "headline": "US", "datePublished": written})
        meta = parse_page_meta(page(head), URL, "text/html")
        assert meta.published_at is not None, written
    head = ld({"@type": "NewsArticle", "headline": "US", "datePublished": "November 20, 2026"})
    assert parse_page_meta(page(head), URL, "").published_at == datetime(2026, 11, 20, tzinfo=UTC)
    # A day name is still dropped, and an ambiguous or partial date still is not read.
    for written, day in (("Fr, 20 Nov 2026 11:41:36 +0100", 20), ("November 2026", None)):
        head = ld({"@type": "NewsArticle", "headline": "US", "datePublished": written})
        published = parse_page_meta(page(head), URL, "").published_at
        assert (published.day if published else None) == day, written


def test_json_ld_wrapped_in_cdata_and_a_publisher_list_are_read():
    """WordPress themes wrap JSON-LD in `//<![CDATA[ … //]]>`; schema.org allows a
    list of publishers. Both were skipped (the <title> won, no site name)."""
    article = {
        "@type": "NewsArticle",
        "headline": "CDATA headline",
        "publisher": [{"@type": "Organization", "name": "Coop Wire"}],
    }
    head = (
        '<script type="application/ld+json">//<![CDATA[\n'
        + json.dumps(article)
        + "\n//]]></script><title>Title tag</title>"
    )
    meta = parse_page_meta(page(head), URL, "text/html")
    assert (meta.title, meta.site_name) == ("CDATA headline", "Coop Wire")
    bare = head.replace("//<![CDATA[", "<![CDATA[").replace("//]]>", "]]>")
    assert parse_page_meta(page(bare), URL, "text/html").title == "CDATA headline"


def test_an_icons_svg_title_is_not_the_pages_title():
    """An inline SVG icon's <title> ("Menu") is not the page's: a page with no head
    title but a description is read without a title, never titled "Menu"."""
    body = '<svg viewBox="0 0 1 1"><title>Menu</title></svg><h1>Story</h1>'
    head = '<meta name="description" content="What happened">'
    meta = parse_page_meta(page(head, body), URL, "text/html")
    assert (meta.title, meta.summary) == (None, "What happened")
    both = parse_page_meta(page(head, body + "<title>Late title</title>"), URL, "text/html")
    assert both.title == "Late title"
