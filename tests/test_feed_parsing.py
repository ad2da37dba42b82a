"""Feeds -> entries -> drafts: formats, encodings, text cleaning, dates, identity, bombs."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime

import pytest

from domain.identity import canonical_link
from domain.text import shorten
from sources.discover import feed_links
from sources.documents import read_document
from sources.feed_bytes import FeedRejected
from sources.feed_items import entry_key, feed_drafts
from sources.feeds import NotAFeed, parse_feed
from sources.text import html_to_text
from tests import feed_samples as samples

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def drafts_of(data: str | bytes, url: str | None = None, category: str | None = None):
    raw = data.encode() if isinstance(data, str) else data
    return feed_drafts(parse_feed(raw, url), category, NOW)


def test_rss2_entries_become_drafts_with_clean_fields():
    result = drafts_of(samples.simple_rss(3))
    assert [d.title for d in result.drafts] == ["Story 0", "Story 1", "Story 2"]
    first = result.drafts[0]
    assert first.url == "https://coop.example/news/0"
    assert first.summary == "Text of story 0"
    assert first.origin == "feed"
    assert first.published_at == datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    assert len({d.key for d in result.drafts}) == 3
    assert result.skipped == 0 and result.warnings == []


def test_rss1_rdf_namespaces_dates_and_subject_tag():
    feed = parse_feed(samples.RSS1.encode(), "https://rdf.example/index.rdf")
    assert (feed.kind, feed.version, feed.title) == ("rss", "rss10", "RDF Co-op News")
    drafts = feed_drafts(feed, None, NOW).drafts
    assert [d.title for d in drafts] == ["Worker co-ops grow", "Housing co-ops"]
    # dc:date with an offset, converted to UTC
    assert drafts[0].published_at == datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    # no source category: the entry's first tag (dc:subject) is its category
    assert drafts[0].category == "Research"
    assert drafts[1].category is None


def test_atom_xml_base_html_titles_and_xhtml_content():
    feed = parse_feed(samples.ATOM.encode(), "https://atom.example/feed.xml")
    assert feed.kind == "atom"
    first, second = feed.entries
    # relative link resolved against the feed's xml:base
    assert first.link == "https://atom.example/blog/posts/credit-unions"
    # ...and against an entry's own xml:base
    assert second.link == "https://other.example/y/z.html"
    # a title of type html: entities decoded once, tags stripped
    assert first.title == "Credit unions & banks"
    assert first.summary == "Member-owned finance grows."
    assert second.summary == "XHTML content"
    # published wins over updated
    assert second.published == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    assert feed_drafts(feed, "Co-op Finance", NOW).drafts[0].category == "Co-op Finance"


def test_relative_links_without_xml_base_resolve_against_the_feed_url():
    xml = samples.rss2([{"title": "Rel", "link": "/news/rel", "guid": "rel-1"}], link="/")
    feed = parse_feed(xml.encode(), "https://site.example/feeds/all.xml")
    assert feed.entries[0].link == "https://site.example/news/rel"
    # a javascript: link is not a link
    evil = samples.rss2([{"title": "Evil", "link": "javascript:alert(1)", "guid": "e"}])
    assert parse_feed(evil.encode(), "https://site.example/f").entries[0].link is None


def test_cdata_and_entities_become_clean_text():
    first, second = drafts_of(samples.CDATA_AND_ENTITIES).drafts
    assert first.title == "Co-ops & friends meet"
    # tags and scripts gone, entities decoded, whitespace normalised
    assert first.summary == "Hello world & co\u2011ops \u2014 all welcome"
    assert "alert" not in first.summary
    assert second.title == "Café & bar <3"
    assert second.summary == "R&D & more bold"


@pytest.mark.parametrize("encoding", ["iso-8859-1", "windows-1252"])
def test_declared_encodings(encoding):
    drafts = drafts_of(samples.latin1_feed(encoding)).drafts
    assert drafts[0].title == "Coopératives agricoles à Genève"
    assert drafts[0].summary == "Économie sociale et solidaire"
    if encoding == "windows-1252":
        assert drafts[1].title == "Smart “quotes” – and € signs"


def test_odd_dates_published_else_updated_else_first_seen_and_never_silently():
    result = drafts_of(samples.ODD_DATES)
    dates = {d.title: d.published_at for d in result.drafts}
    assert dates["ISO date"] == datetime(2026, 6, 3, 9, 15, tzinfo=UTC)
    assert dates["No weekday"] == datetime(2026, 6, 3, 7, 15, tzinfo=UTC)
    assert dates["Only updated"] == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert dates["No date"] == NOW
    assert dates["Garbage date"] == NOW
    # the unreadable date is reported, the missing one is not an error
    assert result.warnings == [
        "entry 3: date 'sometime last week' not understood, dated when first seen"
    ]


def test_future_dates_are_not_trusted():
    xml = samples.rss2([{"title": "Y3K", "guid": "f", "date": "Mon, 01 Jan 2999 00:00:00 GMT"}])
    result = drafts_of(xml)
    assert result.drafts[0].published_at == NOW
    assert "in the future" in result.warnings[0]


def test_entry_without_title_takes_first_words_of_summary():
    long_text = "Cooperatives " + "and mutuals " * 30
    xml = samples.rss2(
        [
            {"link": "https://coop.example/t1", "description": long_text},
            {"link": "https://coop.example/t2"},
            {"guid": "empty-entry"},
        ]
    )
    result = drafts_of(xml)
    first, second = result.drafts
    assert first.title.startswith("Cooperatives and mutuals")
    assert first.title.endswith("…") and len(first.title) <= 81
    assert " ".join(first.title[:-1].split()) in long_text  # cut at a word boundary
    assert second.title == "https://coop.example/t2"
    assert result.skipped == 1 and "entry 3" in result.warnings[0]


def test_entry_keys_are_guid_then_link_then_title_and_date_as_written():
    xml = samples.rss2(
        [
            {"title": "A", "link": "https://coop.example/a", "guid": " Same#Part "},
            {"title": "B", "link": "https://coop.example/b", "guid": "same#part"},
            {"title": "C", "link": "https://coop.example/c/?utm_source=x#frag"},
            {"title": "D", "date": "Mon, 01 Jun 2026 10:00:00 GMT"},
            {"description": "No title here", "date": "Mon, 01 Jun 2026 11:00:00 GMT"},
        ]
    )
    feed = parse_feed(xml.encode())
    keys = [entry_key(e) for e in feed.entries]
    assert keys[0] == ("Same#Part", "guid")  # trimmed only: case and fragment count
    assert keys[1] == ("same#part", "guid")
    assert keys[2] == ("https://coop.example/c/?utm_source=x#frag", "link")
    assert keys[3] == ("D\x1fMon, 01 Jun 2026 10:00:00 GMT", "content")
    assert keys[4] == ("No title here\x1fMon, 01 Jun 2026 11:00:00 GMT", "content")
    result = feed_drafts(feed, None, NOW)
    assert [(d.key, d.key_kind) for d in result.drafts] == keys
    assert [d.title for d in result.drafts] == ["A", "B", "C", "D", "No title here"]


def test_canonical_link():
    same = canonical_link("https://coop.example/a/b#top")
    assert canonical_link("HTTP://Coop.Example:80/a/b/#top") == same
    assert canonical_link("https://coop.example:443/a/b?utm_source=x&fbclid=1&ref=rss#top") == same
    assert canonical_link("https://coop.example/a/b?gclid=1&mc_cid=2&mc_eid=3#top") == same
    assert canonical_link("https://coop.example/a/b#other") != same  # the fragment is kept
    assert canonical_link("https://coop.example/A/b#top") != same  # so is the path's case
    assert canonical_link("https://coop.example:8080/a/b#top") != same
    assert canonical_link("https://coop.example/a?p=1") != canonical_link(
        "https://coop.example/a?p=2"
    )
    assert canonical_link("https://coop.example/a?p=1&utm_medium=x&q=2") == canonical_link(
        "https://coop.example/a?p=1&q=2"
    )


def test_entity_bomb_is_refused_fast_and_without_memory():
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(FeedRejected, match="entities"):
        parse_feed(samples.BILLION_LAUGHS.encode())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # the expanded document would be 10**9 "lol"s (3 GB); refusing costs next to nothing
    assert peak < 5_000_000
    assert time.monotonic() - started < 2


def test_entity_bomb_in_utf16_is_refused_too():
    data = samples.BILLION_LAUGHS.replace('<?xml version="1.0"?>', "").encode("utf-16")
    with pytest.raises(FeedRejected):
        parse_feed(data)


def test_external_entities_are_refused():
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<rss version="2.0"><channel><title>&xxe;</title></channel></rss>'
    )
    with pytest.raises(FeedRejected):
        parse_feed(xxe.encode())


def test_malformed_feed_keeps_what_parsed_and_reports_the_problem():
    xml = samples.simple_rss(3).replace("</channel></rss>", "<item><title>broken</ti")
    feed = parse_feed(xml.encode())
    assert feed.problem and "malformed" in feed.problem
    assert [e.title for e in feed.entries][:3] == ["Story 0", "Story 1", "Story 2"]


@pytest.mark.parametrize(
    "data",
    [b"", b"   ", b"<html><body>hello</body></html>", b"<foo>bar</foo>", b"\x89PNG\r\n\x1a\n\x00"],
)
def test_junk_is_not_a_feed(data):
    with pytest.raises(NotAFeed):
        read_document(data)


def test_html_page_is_recognised_and_its_feed_found():
    with pytest.raises(NotAFeed) as caught:
        parse_feed(samples.PAGE_WITH_FEED.encode(), "https://fed.example/about/", "text/html")
    assert caught.value.is_html
    links = feed_links(samples.PAGE_WITH_FEED.encode(), "https://fed.example/about/")
    assert links == [
        "https://fed.example/feeds/news.xml",
        "https://fed.example/feeds/comments.atom",
    ]
    assert feed_links(samples.PAGE_WITHOUT_FEED.encode(), "https://x.example/") == []


def test_ilo_listing_text_is_still_read():
    text = b"News\n\n  1. News\n\n    Co-ops in Seoul\n\n    10 July 2017\n\n    Summary.\n"
    document = read_document(text)
    assert document.kind == "ilo"
    assert [d.title for d in document.drafts] == ["Co-ops in Seoul"]


def test_html_to_text_and_shorten():
    # Entities are decoded exactly once: a feed that writes "&amp;amp;" means "&amp;".
    assert html_to_text("<p>a&nbsp;<b>b</b></p>\n\n<p>c &amp;amp; d</p>") == "a b c &amp; d"
    assert html_to_text(None) == ""
    assert shorten("one two three four", 9) == "one two…"
    assert shorten("short", 9) == "short"
