"""The shortcuts of a feed's own reading (issue 16) give the general way's answers.

Each shortcut is checked against the code it stands in for, over the repository's
sample feeds and generated, hostile strings:

- sources/dates._common (the two common date forms) against _rfc822 / _dateutil;
- sources/text._simple_html_to_text (one pass, tag sequences read once) against
  BeautifulSoup (soup_text);
- domain/text.normalise_space (one regex pass) against its two-pass definition;
- sources/feeds._entry, which reads a plain copy of feedparser's entry, against
  feedparser's own look-ups.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import feedparser
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.text import normalise_space
from sources import dates
from sources.feeds import _date, parse_feed
from sources.text import _MARKUP, _simple_html_to_text, html_to_text, soup_text
from tests import feed_samples

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from ingest import big_atom, big_feed  # noqa: E402

DATE_KEYS = ("published", "updated", "created")
READ_KEYS = ("summary", "content", "published", "created", "tags", "title", "title_detail",
             "link", "id")  # fmt: skip


def sample_feeds() -> list[bytes]:
    """Every feed of the repository's tests and benches."""
    samples = [
        feed_samples.ATOM,
        feed_samples.CDATA_AND_ENTITIES,
        feed_samples.ODD_DATES,
        feed_samples.simple_rss(5),
        feed_samples.latin1_feed(),
        big_feed(20),
        big_atom(20),
    ]
    for folder in ("cases", "fixtures"):
        samples += [path.read_bytes() for path in sorted((ROOT / "tests" / folder).rglob("*.xml"))]
    return [s.encode() if isinstance(s, str) else s for s in samples]


def sample_entries() -> list[feedparser.FeedParserDict]:
    entries = []
    for data in sample_feeds():
        entries += feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False).entries
    return entries


def general_date(text: str):
    return dates._rfc822(text) or dates._dateutil(text)


def same_moment(fast, general) -> bool:
    return fast == general and fast.utcoffset() == general.utcoffset()


# -- dates --------------------------------------------------------------------------
DAYS = ["Mon, ", "Sat, ", "Fr, ", "sat, ", "Sat ", ""]
MONTHS = ["Jan", "Feb", "Oct", "Dec", "OCT", "oct", "Okt", "Mai", "June"]
ZONES = ["+0000", "-0000", "+0530", "-1200", "+2359", "+2400", "-0560", "GMT", "UT", "UTC",
         "Z", "EST", "CET", "XYZ", "+05:30", "gmt", ""]  # fmt: skip
ISO_ZONES = ["Z", "+00:00", "-00:00", "+05:30", "-12:00", "+23:59", "+24:00", "+05:60",
             "+0530", "z", "", " Z"]  # fmt: skip
NUMBER = st.integers(0, 99)
YEAR = st.sampled_from([1, 99, 999, 1000, 1899, 1900, 1969, 2000, 2026, 9999])


def two(n: int) -> str:
    return f"{n:02d}"


rfc822 = st.builds(
    lambda day_name, day, month, year, h, m, s, zone: (
        f"{day_name}{day} {month} {year:04d} {two(h)}:{two(m)}:{two(s)} {zone}".strip()
    ),
    st.sampled_from(DAYS),
    st.sampled_from(["1", "01", "9", "29", "30", "31", "32", "0", "00"]),
    st.sampled_from(MONTHS),
    YEAR,
    st.sampled_from([0, 9, 23, 24, 99]),
    st.sampled_from([0, 59, 60]),
    st.sampled_from([0, 59, 60, 61]),
    st.sampled_from(ZONES),
)
iso = st.builds(
    lambda year, month, day, h, m, s, fraction, zone: (
        f"{year:04d}-{two(month)}-{two(day)}T{two(h)}:{two(m)}:{two(s)}{fraction}{zone}"
    ),
    YEAR,
    st.sampled_from([0, 1, 2, 12, 13]),
    st.sampled_from([0, 1, 28, 29, 30, 31, 32]),
    st.sampled_from([0, 23, 24]),
    st.sampled_from([0, 59, 60]),
    st.sampled_from([0, 59, 60]),
    st.sampled_from(["", ".5", ".123456", ".1234567", ".", ",5"]),
    st.sampled_from(ISO_ZONES),
)
# Hostile edits: other digits, spacing, a character in, out or changed.
EDITS = st.sampled_from(["", "  ", "T", " ", "\u0660", "\u00a0", "1", ":", "-", "x", "٣"])


@settings(max_examples=1500, deadline=None)
@given(st.one_of(rfc822, iso), st.integers(0, 40), st.integers(0, 2), EDITS)
@example("Sat, 31 Oct 2026 19:00:00 +0000", 0, 0, "")
@example("2026-10-31T19:00:00Z", 0, 0, "")
def test_common_dates_read_as_the_general_way_reads_them(text, at, cut, insert):
    for candidate in (text, text[:at] + insert + text[at + cut :]):
        fast = dates._common(candidate)
        if fast is not None:
            assert same_moment(fast, general_date(candidate)), candidate


def test_the_usual_dates_take_the_shortcut():
    for text in ("Sat, 31 Oct 2026 19:00:00 +0000", "31 Oct 2026 19:00:00 GMT",
                 "2026-10-31T19:00:00Z", "2026-10-31T19:00:00.25+05:30"):  # fmt: skip
        assert dates._common(text) is not None, text
        assert same_moment(dates._common(text), general_date(text))
    for text in ("Sat, 31 Feb 2026 19:00:00 +0000", "2026-10-31T24:00:00Z", "20.11.2026",
                 "Fri, 20 Nov 2026 12:24 EST", "2026/11/20 15:07:41"):  # fmt: skip
        assert dates._common(text) is None, text


def test_every_sample_date_reads_as_the_general_way_reads_it():
    seen = 0
    for entry in sample_entries():
        for key in DATE_KEYS:
            text = normalise_space(entry.get(key) or "")
            fast = dates._common(text) if text else None
            if fast is not None:
                seen += 1
                assert same_moment(fast, general_date(text)), text
    assert seen > 20  # the shortcut was taken (big_feed's and big_atom's dates at least)


# -- HTML to text -------------------------------------------------------------------
def test_every_sample_text_reads_as_beautifulsoup_reads_it():
    simple = 0
    for entry in sample_entries():
        texts = [entry.get("summary"), entry.get("title")]
        texts += [part.get("value") for part in entry.get("content") or []]
        for text in filter(None, texts):
            if not _MARKUP.search(text):
                continue
            assert html_to_text(text) == soup_text(text), text
            if _simple_html_to_text(text) is not None:
                simple += 1
    assert simple > 20


def test_a_sequence_of_tags_read_once_still_reads_each_text():
    # The same tags around other texts (read from the cache the second time), and the
    # same tag names with one that does not close (never simple, cached or not).
    first = "<p>A <b>one</b></p><p>x&amp;y</p>"
    second = "<p>B <b>two</b></p><p>z&lt;w</p>"
    assert _simple_html_to_text(first) == soup_text(first) == "A one x&y"
    assert _simple_html_to_text(second) == soup_text(second) == "B two z<w"
    assert _simple_html_to_text("<p>A <b>one</p></b>") is None
    assert _simple_html_to_text("<P>A <B>one</B></P>") == soup_text("<P>A <B>one</B></P>")


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["&amp", "&amp;", "AT&T", "&copy", "&copy;", "&#38", "&#38;", "&#x26", "&lt",
             "&", ";", "#", "fish", "chips", " ", "<b>", "</b>", "<p>", "</p>", "<br>"]
        ),  # fmt: skip
        max_size=12,
    ).map("".join)
)
@example("fish &amp chips")  # no tag, a reference without its ";": BeautifulSoup reads it
@example("&copy 2026 ICA")
def test_ampersands_read_as_beautifulsoup_reads_them(text):
    assert html_to_text(text) == soup_text(text)


# -- whitespace ---------------------------------------------------------------------
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ODD_CHARACTERS = "\x00\x01\t\n\r\x0b\x0c\x1f \x7f\x85\x9f\xa0\u00ad\u200b\u200c\u200d\u2060\ufeff\u2028é"


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*ODD_CHARACTERS, "co", "op", " "]), max_size=40).map("".join))
def test_normalise_space_removes_as_its_two_passes_did(text):
    assert normalise_space(text) == " ".join(_INVISIBLE.sub("", _CONTROL.sub("", text)).split())


# -- feedparser's entries as plain dicts --------------------------------------------
def test_a_plain_copy_of_each_sample_entry_reads_as_feedparser_does():
    for entry in sample_entries():
        plain = dict(entry)
        for key in READ_KEYS:
            assert plain.get(key) == entry.get(key), key
        # feedparser answers `updated` with `published` when only that is there: the
        # date read is the same either way (published is read first).
        assert _date(plain) == _date(entry)


def test_sample_feeds_still_parse():
    for data in sample_feeds():
        assert parse_feed(data).entries


def test_a_zone_of_a_whole_day_is_a_date_not_understood():
    # dateutil reads `+2400` as a zone datetime cannot convert: it raised out of the
    # feed's parse (ValueError) before; now the entry is dated when first seen.
    for text in ("Thu, 01 Jan 2026 00:00:00 +2400", "2026-01-01T00:00:00-25:00"):
        assert dates.read_date(text) is None
    feed = parse_feed(
        feed_samples.rss2([{"title": "t", "guid": "g", "date": "01 Jan 2026 00:00:00 +2400"}])
        .encode()
    )
    assert (feed.entries[0].published, feed.entries[0].date_text) == (
        None,
        "01 Jan 2026 00:00:00 +2400",
    )


# -- HTML's named entities in a feed's bytes ----------------------------------------
# sources/feed_bytes's reference pattern before XML's five names were left out of it
# (they were matched, and written back as they were).
EVERY_REFERENCE = re.compile(rb"&(?:([A-Za-z][A-Za-z0-9]{1,31})|#[xX]([0-9A-Fa-f]+)|#([0-9]+));")
REFERENCE_PARTS = [b"&amp;", b"&lt;", b"&gt;", b"&quot;", b"&apos;", b"&ampx;", b"&amp", b"&nbsp;",
                   b"&eacute;", b"&#233;", b"&#xD800;", b"&#99999999999;", b"&Amp;", b"&&lt;",
                   b"<![CDATA[&nbsp;]]>", b"a", b";", b"&", b"&#x26;"]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(REFERENCE_PARTS), max_size=12).map(b"".join))
def test_named_entities_are_written_as_before_xml_names_were_skipped(data):
    from sources import feed_bytes

    skipped = feed_bytes._REFERENCE
    try:
        feed_bytes._REFERENCE = EVERY_REFERENCE
        before = feed_bytes._numeric_entities(data)
    finally:
        feed_bytes._REFERENCE = skipped
    assert feed_bytes._numeric_entities(data) == before
