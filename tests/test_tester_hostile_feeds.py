"""Hostile feed files: the streamed read gives the whole document's drafts, or None
(read whole), never something else."""

from __future__ import annotations

import pytest

from sources import feed_stream
from sources.documents import read_document
from tests import feed_samples as samples
from tests.test_feed_stream import NOW, rss_items, tiny  # noqa: F401

BASE = samples.rss2(rss_items(5))
ATOM = samples.ATOM


def entries(n, body):
    return "".join(body.format(i=i) for i in range(n))


HOSTILE = {
    "comment with item": BASE.replace(
        "<channel>", "<channel><!-- <item><title>ghost</title></item> -->"
    ),
    "comment inside item": BASE.replace("<title>Story 2", "<!-- </item><item> --><title>Story 2"),
    "pi inside": BASE.replace("<channel>", "<channel><?php echo '<item>'; ?>"),
    "cdata with item": BASE.replace(
        "<description>", "<description><![CDATA[</item><item><title>x</title>]]>", 1
    ),
    "cdata end marker": BASE.replace("and&nbsp;more", "]]&gt; ]] > ]]"),
    "empty cdata": BASE.replace("<description>", "<description><![CDATA[]]>", 1),
    "doctype plain": BASE.replace("<rss", "<!DOCTYPE rss><rss", 1),
    "doctype system": BASE.replace(
        "<rss", '<!DOCTYPE rss SYSTEM "http://127.0.0.1:1/evil.dtd"><rss', 1
    ),
    "doctype public": BASE.replace(
        "<rss",
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss',
        1,
    ),
    "prefixed atom": ATOM.replace(
        '<feed xmlns="http://www.w3.org/2005/Atom"', '<a:feed xmlns:a="http://www.w3.org/2005/Atom"'
    )
    .replace("</feed>", "</a:feed>")
    .replace("<entry", "<a:entry")
    .replace("</entry>", "</a:entry>")
    .replace("<title", "<a:title")
    .replace("</title>", "</a:title>")
    .replace("<link", "<a:link")
    .replace("<id>", "<a:id>")
    .replace("</id>", "</a:id>")
    .replace("<updated>", "<a:updated>")
    .replace("</updated>", "</a:updated>")
    .replace("<summary", "<a:summary")
    .replace("</summary>", "</a:summary>")
    .replace("<published>", "<a:published>")
    .replace("</published>", "</a:published>")
    .replace("<content", "<a:content")
    .replace("</content>", "</a:content>")
    .replace("<category", "<a:category"),
    "items after channel": BASE.replace("</channel>", "")
    .replace("</rss>", "</channel></rss>")
    .replace("<item>", "</channel><item>", 1)
    if False
    else BASE.replace(
        "</channel></rss>",
        "</channel><item><title>Outside</title><link>https://o.example/x</link></item></rss>",
    ),
    "nested item in item": BASE.replace(
        "<title>Story 1", "<item><title>Inner</title></item><title>Story 1"
    ),
    "item with attributes": BASE.replace(
        "<item>",
        '<item rdf:about="x" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" a=">">',
    ),
    "xml lang and base": BASE.replace(
        "<channel>", '<channel xml:lang="fr" xml:base="https://base.example/dir/">'
    ).replace("https://coop.example/news/3", "rel/3"),
    "entity refs": BASE.replace("and&nbsp;more", "&#x10FFFF; &#65; &lt;b&gt; &hellip; &amp;amp;"),
    "huge entry": samples.rss2(
        [{"title": "Big", "link": "https://b.example/", "description": "word " * 200000}]
        + rss_items(3)
    ),
    "many tiny": samples.rss2([{"title": f"T{i}"} for i in range(30)]),
    "channel elements after items": BASE.replace(
        "</channel>",
        "<title>Renamed</title><image><url>x</url><title>img</title><link>https://i.example/</link></image></channel>",
    ),
    "unknown namespace elements": BASE.replace(
        "<item>",
        '<item><media:content xmlns:media="http://search.yahoo.com/mrss/" url="https://m.example/a.jpg"><media:title>Media &lt;t&gt;</media:title></media:content>',
    ),
    "windows-1252 declared": BASE.replace('encoding="utf-8"', 'encoding="windows-1252"'),
    "ascii declared": BASE.replace('encoding="utf-8"', 'encoding="us-ascii"'),
    "no declaration": BASE.replace('<?xml version="1.0" encoding="utf-8"?>\n', ""),
    "uppercase utf-8": BASE.replace('encoding="utf-8"', 'encoding="UTF-8"'),
    "single quotes decl": BASE.replace(
        '<?xml version="1.0" encoding="utf-8"?>', "<?xml version='1.0' encoding='utf-8'?>"
    ),
    "xml 1.1": BASE.replace('version="1.0"', 'version="1.1"', 1),
    "whitespace before decl": "\n  " + BASE,
    "rss 0.91": BASE.replace('version="2.0"', 'version="0.91"'),
    "two channels": BASE.replace(
        "</channel></rss>",
        "</channel><channel><title>Second</title><item><title>S2</title></item></channel></rss>",
    ),
    "atom entry with source": ATOM.replace(
        "<entry>",
        "<entry><source><title>Other feed</title><id>o</id><entry><title>evil</title></entry></source>",
        1,
    ),
    "cr line endings": BASE.replace("\n", "\r"),
    "crlf in cdata": BASE.replace("and&nbsp;more", "a\r\nb\rc"),
    "ns on channel": BASE.replace(
        "<channel>", '<channel xmlns:dc="http://purl.org/dc/elements/1.1/">'
    ).replace("<item>", "<item><dc:creator>Ann</dc:creator><dc:subject>Housing</dc:subject>"),
    "ns on item": BASE.replace(
        "<item>",
        '<item xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject>Energy</dc:subject>',
    ),
    "xml:base on rss": BASE.replace(
        '<rss version="2.0">', '<rss version="2.0" xml:base="https://b.example/x/">'
    ).replace("https://coop.example/news/", "n/"),
    "lang on rss": BASE.replace('<rss version="2.0">', '<rss version="2.0" xml:lang="de">'),
    "channel language": BASE.replace(
        "<description>News</description>", "<description>News</description><language>fr</language>"
    ),
    "default ns rss": BASE.replace(
        '<rss version="2.0">', '<rss version="2.0" xmlns="http://backend.userland.com/rss2">'
    ),
    "content encoded": BASE.replace(
        "<item>",
        '<item><content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>Full <b>text</b></p>]]></content:encoded>',
    ),
    "image between items": BASE.replace(
        "</item><item>",
        "</item><image><url>https://i.example/a.png</url><title>img</title><link>https://i.example/</link></image><item>",
        1,
    ),
    "textinput between": BASE.replace(
        "</item><item>",
        "</item><textInput><title>t</title><description>d</description><name>n</name><link>https://t.example/</link></textInput><item>",
        1,
    ),
    "atom feed-level author after entries": ATOM.replace(
        "</feed>", "<author><name>Late Author</name></author></feed>"
    ),
    "atom entry without ns decl prefix": ATOM.replace(
        "<entry>",
        '<entry xmlns:media="http://search.yahoo.com/mrss/"><media:thumbnail url="https://m.example/t.jpg"/>',
    ),
    "atom xml:lang on feed": ATOM.replace("xml:base=", 'xml:lang="es" xml:base='),
    "item named differently case": BASE.replace("<item>", "<Item>").replace("</item>", "</Item>"),
    "guid ispermalink link": BASE.replace(
        'isPermaLink="false">g', 'isPermaLink="true">https://g.example/'
    ),
    "rss 2 with atom link": BASE.replace(
        '<rss version="2.0">', '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
    ).replace(
        "<description>News</description>",
        '<description>News</description><atom:link href="https://self.example/feed" rel="self"/>',
    ),
    "item attr xml:base": BASE.replace("<item>", '<item xml:base="https://ib.example/d/">').replace(
        "https://coop.example/news/", "rel/"
    ),
    "ttl and skiphours": BASE.replace(
        "<description>News</description>",
        "<description>News</description><ttl>60</ttl><skipHours><hour>1</hour></skipHours>",
    ),
    "comment before root": BASE.replace("<rss", "<!-- c --><rss", 1),
    "pi stylesheet": BASE.replace("<rss", '<?xml-stylesheet type="text/xsl" href="s.xsl"?><rss', 1),
}


def _cases():
    out = dict(HOSTILE)
    raw = BASE.encode()
    out["truncated"] = raw[: len(raw) // 2]
    out["utf-16"] = BASE.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    out["utf-16 declared utf-8"] = BASE.encode("utf-16")
    out["latin-1 bytes declared utf-8"] = BASE.replace("caf\u00e9", "caf\u00e9\u00e8").encode(
        "latin-1"
    )
    out["nul bytes"] = raw.replace(b"Story 2", b"Story\x00 2")
    out["lone surrogate ref"] = raw.replace(b"and&nbsp;more", b"&#xD800;")
    out["bad utf-8 split"] = raw.replace(b"caf\xc3\xa9", b"caf\xc3")
    out["overlong"] = raw.replace(b"Story 1", b"Story \xc0\xaf1")
    return {k: (v.encode() if isinstance(v, str) else v) for k, v in out.items()}


CASES = _cases()


def whole(data):
    try:
        doc = read_document(data, url=None, now=NOW)
    except Exception as exc:  # noqa: BLE001
        return ("error", type(exc).__name__)
    return (doc.drafts, doc.warnings, doc.skipped)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_feed_streamed_as_whole(name, tiny, tmp_path):  # noqa: F811
    data = CASES[name]
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    expected = whole(data)
    try:
        streamed = feed_stream.read_feed_file(path, now=NOW)
    except Exception as exc:  # noqa: BLE001
        assert expected[0] == "error", (name, exc)
        return
    if streamed is None:
        return
    try:
        got = (list(streamed.drafts()), streamed.warnings, streamed.skipped)
    finally:
        streamed.close()
    assert got == expected, name


# Character references to no character (a surrogate, past U+10FFFF, a number too big for
# any) crashed feedparser (UnicodeEncodeError, ValueError, OverflowError): a feed file's
# import ended in a traceback and a polled feed failed every time. They read as U+FFFD.
BAD_REFERENCES = ["&#xD800;", "&#56000;", "&#x110000;", "&#99999999999999999999;", "&#x0000DFFF;"]


@pytest.mark.parametrize("ref", BAD_REFERENCES)
def test_a_reference_to_no_character_reads_as_a_replacement(ref, tiny, tmp_path):  # noqa: F811
    data = BASE.replace("Story 2", f"Story {ref} 2").replace("and&nbsp;more", ref).encode()
    doc = read_document(data, url=None, now=NOW)
    assert [d.title.split(" &")[0] for d in doc.drafts] == [
        "Story 0", "Story 1", "Story \ufffd 2", "Story 3", "Story 4"
    ]  # fmt: skip
    assert "Story 1" in [d.title.split(" &")[0] for d in doc.drafts]
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    streamed = feed_stream.read_feed_file(path, now=NOW)
    assert streamed is not None
    try:
        assert list(streamed.drafts()) == doc.drafts
    finally:
        streamed.close()
    # In CDATA it is left as written (the summary's HTML reading decides).
    cdata = BASE.replace("and&nbsp;more", f"<![CDATA[{ref}]]>").encode()
    assert len(read_document(cdata, url=None, now=NOW).drafts) == 5


def test_a_feed_file_with_such_references_imports(tmp_path):
    from sources.importer import import_source
    from storage.db import Database
    from tests.conftest import new_database

    path = tmp_path / "feed.xml"
    path.write_bytes(BASE.replace("Story 2", "Story &#x110000; 2").encode())
    with new_database(tmp_path) as url:
        import_source(Database(url), str(path))
        with Database(url).reading() as session:
            from sqlalchemy import func, select

            from storage.models import Item

            assert session.scalar(select(func.count()).select_from(Item)) == 5


def test_a_cut_short_feed_keeps_only_whole_entries(tmp_path):
    # A truncated file (or a dropped connection) ending inside an entry: the loose
    # parser returned the unfinished entry too, stored as a title without its link,
    # dated the day it was seen. Every cut keeps a prefix of the whole feed's entries.
    for document in (BASE, ATOM):
        data = document.encode()
        full = read_document(data, url=None, now=NOW).drafts
        for cut in range(data.index(b"<item" if b"<item" in data else b"<entry"), len(data) - 1):
            try:
                got = read_document(data[:cut], url=None, now=NOW).drafts
            except Exception:  # noqa: BLE001 - nothing usable: refused
                continue
            closed = data[:cut].count(b"</item>") + data[:cut].count(b"</entry>")
            assert got == full[:closed], (cut, data[:cut][-60:])
