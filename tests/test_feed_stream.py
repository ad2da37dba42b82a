"""A feed file imported chunk by chunk (sources/feed_stream.py) reads and stores exactly
what the whole document does (issue 16: memory flat in the file's size).

Chunks of 2 entries and blocks of a few bytes, so every cut (inside CDATA, between
bytes of a character, around entities) is crossed; each answer is compared with
parse_feed + feed_drafts on the whole bytes, and the import with the one-shot import
of the same drafts on a second database. SQLite and PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from domain import identity
from domain.identity import import_scope
from sources import feed_stream
from sources.documents import read_document
from sources.importer import ImportFailed, import_source
from storage import bulk, entries
from storage.db import Database
from storage.entries import add_items
from tests import feed_samples as samples
from tests.conftest import new_database
from tests.test_bulk_import import answers

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(feed_stream, "CHUNK", 2)
    monkeypatch.setattr(feed_stream, "READ_BLOCK", 5)
    monkeypatch.setattr(entries, "STREAM_CHUNK", 3)
    monkeypatch.setattr(bulk, "BULK_ROWS", 2)


def rss_items(n: int, link: str = "https://coop.example/news/{i}") -> list[dict]:
    return [
        {
            "title": f"Story {i} &amp; caf\u00e9",
            "link": link.format(i=i),
            "guid": f"g{i}",
            "date": f"Mon, 01 Jun 2026 {i % 24:02d}:00:00 GMT",
            "description": f"<![CDATA[<p>Text&nbsp;{i} &eacute; ]]&gt;</p>]]> and&nbsp;more",
            "extra": "<category>News</category>" if i % 2 else "",
        }
        for i in range(n)
    ]


LINK_AFTER_ITEMS = (
    '<?xml version="1.0"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<channel><title>Late link</title>"
    + "".join(
        f"<item><title>Rel {i}</title><link>posts/{i}.html</link><dc:date>2026-05-0{i + 1}</dc:date>"
        "</item>"
        for i in range(5)
    )
    + "<link>https://late.example/blog/</link></channel></rss>"
)

ODD_ENTRIES = samples.rss2(
    [
        {"title": "Good", "link": "https://o.example/1", "date": "Tue, 02 Jun 2026 10:00:00 +0000"},
        {"link": "https://o.example/2", "date": "someday"},
        {"description": "no title, only text that becomes one", "date": "Fri, 01 Jan 2100 00:00:00 GMT"},
        {"extra": "<comments>nothing usable</comments>"},
        {"title": "Shared link", "link": "https://o.example/1"},
        {"title": "Good", "link": "https://o.example/1", "date": "Tue, 02 Jun 2026 10:00:00 +0000"},
    ]
)  # fmt: skip

FEEDS = {
    "rss": samples.rss2(rss_items(7)).encode(),
    "atom": samples.ATOM.encode(),
    "cdata and entities": samples.CDATA_AND_ENTITIES.encode(),
    "link after items": LINK_AFTER_ITEMS.encode(),
    "odd entries": ODD_ENTRIES.encode(),
    "shared links": samples.rss2(rss_items(6, "https://coop.example/{i}"[:-3] + "x")).encode(),
    "bytes": samples.rss2(rss_items(5)).encode().replace(b"caf\xc3\xa9", b"caf\xe9\x00\x07"),
    "bom": b"\xef\xbb\xbf" + samples.rss2(rss_items(3)).encode(),
}


@pytest.mark.parametrize("name", list(FEEDS))
def test_a_feed_read_in_chunks_gives_the_drafts_of_the_whole_document(name, tiny, tmp_path):
    data = FEEDS[name]
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    whole = read_document(data, url=None, now=NOW)
    streamed = feed_stream.read_feed_file(path, now=NOW)
    assert streamed is not None
    try:
        drafts = list(streamed.drafts())
        assert drafts == whole.drafts and len(drafts) > 1
        assert (streamed.warnings, streamed.skipped) == (whole.warnings, whole.skipped)
        links = Counter(identity.link_key(d.url) for d in whole.drafts if d.url)
        assert {k: streamed.link_counts[k] for k in links} == {
            k: min(n, 2) for k, n in links.items()
        }
        assert streamed.link_counts.get(identity.link_key("https://elsewhere.example/")) == 0
    finally:
        streamed.close()


@pytest.mark.parametrize(
    "data",
    [
        samples.RSS1.encode(),  # RSS 1.0: read whole
        samples.rss2(rss_items(3)).encode().replace(b"</channel>", b""),  # not well-formed
        samples.rss2(rss_items(3)).encode().replace(b"&amp;", b"&bogus;"),  # undefined entity
        samples.rss2(rss_items(3)).encode().replace(b'encoding="utf-8"', b'encoding="latin-1"'),
        samples.rss2([]).encode(),  # no entries
    ],
)
def test_what_cannot_be_cut_with_certainty_is_read_whole(data, tiny, tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    assert feed_stream.read_feed_file(path, now=NOW) is None


def test_entity_declarations_are_refused_before_anything_is_read(tiny, tmp_path):
    path = tmp_path / "bomb.xml"
    bomb = '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">]>'
    path.write_bytes(samples.rss2(rss_items(4)).replace("<rss", bomb + "<rss").encode())
    with new_database(tmp_path) as url, pytest.raises(ImportFailed, match="ENTITY"):
        import_source(Database(url), str(path))


@pytest.mark.parametrize("name", ["rss", "shared links", "link after items", "atom"])
def test_a_streamed_feed_import_stores_what_the_one_shot_import_stores(name, tiny, tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(FEEDS[name])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with new_database(tmp_path / "a") as streamed, new_database(tmp_path / "b") as one_shot:
        summary = import_source(Database(streamed), str(path))
        document = read_document(FEEDS[name], url=None)
        db = Database(one_shot)
        with db.transaction() as session:
            result = add_items(session, document.drafts, scope=import_scope(str(path.resolve())))
        db.dispose()
        assert (summary.added, summary.already_present) == (
            len(result.added),
            result.already_present,
        )
        assert summary.skipped == document.skipped
        assert len(summary.warnings) == len(document.warnings)
        expected = answers(one_shot)
        assert answers(streamed) == expected and expected["items"]
        again = import_source(Database(streamed), str(path))
        assert again.added == 0
        assert answers(streamed) == expected
