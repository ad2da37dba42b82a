"""Bidi embedding, override and isolate controls (UAX #9 §2.1–2.4: U+202A–U+202E,
U+2066–U+2069) from a feed or from what people type never reach what readers are
shown: one left open would reverse the text around it ("Trojan Source",
CVE-2021-42574). The rule is domain.text.remove_control_characters, applied where
text enters and to category spellings; the implicit marks LRM, RLM and ALM are kept.
Signed requests to the app in process (`bolt`), and the public page over HTTP."""

from __future__ import annotations

import json

import requests

from domain.text import remove_control_characters
from sources.documents import read_document
from storage.entries import add_items
from tests.feed_samples import rss2
from tests.test_http_home import open_home
from tests.test_http_latest import make_items

LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
SCOPED = (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI)
MARKS = ("\u200e", "\u200f", "\u061c")  # LRM, RLM, ALM


def assert_no_scoped_controls(shown) -> None:
    text = shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)
    found = sorted({f"U+{ord(c):04X}" for c in text if c in SCOPED})
    assert not found, (found, text[:2000])


def import_hostile_feed(db) -> None:
    """What `coopnews import` and a source's poll store from a feed (sources.documents)."""
    feed = rss2(
        [
            {
                "title": f"Bakery {RLO}evitarepooc{PDF} opens",
                "link": "https://coop.example/news/1",
                "date": "Mon, 16 Nov 2026 09:00:00 GMT",
                "description": f"Members {RLI}vote{PDI} on {LRO}Friday",
                "extra": f"<category>{RLE}Energy{PDF} {FSI}Co-ops</category>",
            },
            {
                "title": f"{LRI}Housing{PDI} news",
                "link": "https://coop.example/news/2",
                "date": "Sun, 15 Nov 2026 09:00:00 GMT",
                "extra": f"<category>{RLO}Energy Co-ops</category>",
            },
        ],
        title=f"Coop {RLO}Voices",
    )
    document = read_document(feed.encode(), "https://coop.example/feed")
    assert document.title == "Coop Voices"  # what a source's poll stores as its name
    with db.transaction() as session:
        add_items(session, document.drafts, scope="import:bidi")


def test_the_rule_drops_scoped_controls_and_keeps_text_and_marks():
    arabic = "\u062a\u0639\u0627\u0648\u0646\u064a\u0629"  # "cooperative"
    typed = f"{RLO}{arabic}{PDF} (2026){MARKS[1]} {LRI}abc{PDI}{MARKS[0]}{MARKS[2]}"
    assert remove_control_characters(typed) == f"{arabic} (2026){MARKS[1]} abc{''.join(MARKS[::2])}"


def test_feed_text_is_shown_without_them_in_commands_and_home(bolt, fake, db):
    import_hostile_feed(db)
    categories = bolt.command("categories").json()
    assert_no_scoped_controls(categories)
    assert "Energy Co-ops" in json.dumps(categories, ensure_ascii=False)
    latest = bolt.command("latest").json()
    assert_no_scoped_controls(latest)
    shown = json.dumps(latest, ensure_ascii=False)
    assert "Bakery evitarepooc opens" in shown and "Members vote on Friday" in shown
    assert_no_scoped_controls(bolt.command("search bakery").json())
    assert_no_scoped_controls(bolt.command("latest Energy Co-ops").json())
    home = open_home(bolt, fake, "UREADER", "Ev-bidi-home")
    assert_no_scoped_controls(home)
    assert "Energy Co-ops" in json.dumps(home, ensure_ascii=False)


def test_a_category_stored_with_them_is_spelled_without_them(bolt, db):
    # Not only feeds: a listing's category, a source's, an editor's, all go through
    # storage.categories.category_spelling.
    make_items(db, [("Story", 1, f"{RLO}Worker{PDF} {LRI}Co-ops", None, None)])
    body = bolt.command("categories").json()
    assert_no_scoped_controls(body)
    assert "Worker Co-ops" in json.dumps(body, ensure_ascii=False)
    assert_no_scoped_controls(bolt.command("latest").json())


def test_typed_words_are_echoed_without_them(bolt, fake, db):
    fake.add_user("UMEMBER")
    make_items(db, [("Story", 1, "News", None, None)])
    body = bolt.command(f"follow {RLO}bakery{PDF} coop in {RLI}News{PDI}").json()
    assert_no_scoped_controls(body)
    assert "bakery coop" in body["text"], body["text"]
    assert_no_scoped_controls(bolt.command("follows").json())
    assert_no_scoped_controls(bolt.command(f"latest {RLO}News").json())
    assert_no_scoped_controls(bolt.command(f"search {LRO}bakery{PDF}").json())


def test_the_public_page_shows_feed_text_without_them(site, db):
    import_hostile_feed(db)
    page = requests.get(f"{site}/news", timeout=10)
    assert page.status_code == 200
    assert "Bakery evitarepooc opens" in page.text
    assert_no_scoped_controls(page.text)
    for path in ("/feed.atom", "/feed.json"):
        feed = requests.get(f"{site}{path}", timeout=10)
        assert feed.status_code == 200 and "evitarepooc" in feed.text, path
        assert_no_scoped_controls(feed.text)


def test_a_suggestion_typed_with_them_is_stored_and_told_without_them(bolt, fake, db):
    from sqlalchemy import select

    from storage.models import Suggestion
    from tests.curation_payloads import form_values, view_submission

    fake.add_user("UMEMBER")
    values = form_values(
        title=f"Bakery {RLO}evitarepooc{PDF} opens",
        link="https://coop.example/bakery",
        new_category=f"{RLI}Food{PDI} Co-ops",
        summary=f"Members {LRO}vote",
    )
    response = bolt.interaction(view_submission("UMEMBER", "coopnews_suggest_form", "{}", values))
    assert response.status_code == 200
    bolt.settle()
    with db.reading() as session:
        (row,) = session.scalars(select(Suggestion)).all()
        stored = (row.title, row.category, row.summary)
    assert stored == ("Bakery evitarepooc opens", "Food Co-ops", "Members vote")
    assert fake.calls, "the member was told nothing"
    for call in fake.calls:
        assert_no_scoped_controls(call.params)


def test_an_opml_list_names_feeds_without_them():
    from sources.opml import parse_opml

    document = (
        '<opml version="2.0"><body>'
        f'<outline text="{RLO}Energy{PDF}">'
        f'<outline type="rss" text="Coop {RLI}Voices{PDI}" xmlUrl="https://coop.example/feed"/>'
        "</outline></body></opml>"
    )
    (feed,) = parse_opml(document.encode())
    assert (feed.title, feed.category) == ("Coop Voices", "Energy")
