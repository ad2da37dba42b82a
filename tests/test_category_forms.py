"""One category however its name is encoded: NFC or NFD, full-width letters, no-break
or doubled spaces, invisible characters (storage.categories.category_key, Unicode
§3.13 D145). The handed case tests/cases/category-forms through `coopnews import` and
signed requests (`bolt`), subscriptions and follows through their passes against the
fake Web API, the modal, the public feeds and /news. SQLite and, with
TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
import requests
from sqlalchemy import select

from storage.categories import category_key, category_spelling, encode_choice
from storage.models import Follow, Item, Subscription
from tests.announce_helpers import announcer, shown_in
from tests.announce_helpers import drain as drain_announcements
from tests.conftest import app_environment, run_cli_in_process
from tests.curation_payloads import form_values, submission_of
from tests.follow_helpers import add_item, assert_sent_once, sender
from tests.follow_helpers import drain as drain_follows
from tests.public_helpers import add as add_public
from tests.test_http_curation import TODAY, open_add_modal
from tests.test_http_latest import titles_in

CASE = Path(__file__).parent / "cases" / "category-forms"
NFC = unicodedata.normalize("NFC", "Énergie")  # "\u00c9nergie"
NFD = unicodedata.normalize("NFD", "Énergie")  # "E\u0301nergie"


def test_the_two_spellings_differ_in_code_points_only():
    assert NFC != NFD and (len(NFC), len(NFD)) == (7, 8)


# -- the key --------------------------------------------------------------------------
HOSTILE = [
    # (typed, key)
    (NFC, "énergie"),
    (NFD, "énergie"),
    ("ÉNERGIE", "énergie"),
    (unicodedata.normalize("NFD", "ÉNERGIE"), "énergie"),
    ("Ｅｎｅｒｇｉｅ", "energie"),  # full-width (NFKC)
    ("ｃｏｏｐ", "coop"),
    ("ﬁnance", "finance"),  # the "fi" ligature (NFKC)
    ("Social economy", "social economy"),
    ("Social  economy", "social economy"),
    ("Social\u00a0economy", "social economy"),  # no-break space
    ("Social\u202feconomy", "social economy"),  # narrow no-break space
    ("Social\u3000economy", "social economy"),  # ideographic space
    ("Social\teconomy", "social economy"),
    ("  Social\n economy \r\n", "social economy"),
    ("Social\u200beconomy", "socialeconomy"),  # zero-width space: shows nothing
    ("Co\u00adop", "coop"),  # soft hyphen
    ("\ufeffCoop", "coop"),  # byte order mark
    ("Coop\u200d", "coop"),  # zero-width joiner
    ("\u200eCoop\u200f", "coop"),  # bidi marks
    ("E\u200b\u0301nergie", "énergie"),  # an invisible character between letter and mark
    ("Straße", "strasse"),
    ("STRASSE", "strasse"),
    ("ISTANBUL", "istanbul"),  # no locale: I is i, also in Turkish names
    ("İstanbul", "i\u0307stanbul"),  # capital I with dot keeps its dot
    ("i\u0307stanbul", "i\u0307stanbul"),
    ("ΣΟΦΙΑ", "σοφια"),  # final sigma folds like sigma
    ("σοφιας", "σοφιασ"),
    ("Ångström", "ångström"),
    ("A\u030angstro\u0308m", "ångström"),
    ("\u212bngström", "ångström"),  # ANGSTROM SIGN is canonically Å
]


@pytest.mark.parametrize(("typed", "key"), HOSTILE)
def test_category_key_of_hostile_forms(typed, key):
    assert category_key(typed) == key
    assert unicodedata.is_normalized("NFC", key)
    assert category_key(key) == key  # idempotent: a stored key keys to itself


@pytest.mark.parametrize("blank", [None, "", "   ", "\u00a0\t\n", "\u200b", "\u00ad\ufeff"])
def test_blank_and_invisible_only_names_are_no_category(blank):
    assert category_key(blank) is None
    assert category_spelling(blank) is None


def test_keys_are_capped_at_the_column_even_when_folding_lengthens():
    key = category_key("ß" * 200)
    assert key == "s" * 200 and category_key(key) == key
    for long in ("a" * 199 + " b", "é" * 199 + " b", "ﷺ" * 20):
        key = category_key(long)
        assert len(key) <= 200 and category_key(key) == key, long


@pytest.mark.parametrize(
    ("typed", "spelled"),
    [
        (NFD, NFC),
        (NFC, NFC),
        ("  COOP   Champions\t", "COOP Champions"),
        ("Social\u00a0economy", "Social economy"),
        ("Ｅｎｅｒｇｉｅ", "Ｅｎｅｒｇｉｅ"),  # shown as written: NFC, not NFKC
    ],
)
def test_the_stored_spelling_is_nfc_with_spaces_folded(typed, spelled):
    assert category_spelling(typed) == spelled


def test_a_subscriptions_choice_keeps_one_name_per_key():
    assert encode_choice([NFD, NFC, "ÉNERGIE", "News"]) == f"News\n{NFC}"


# -- the handed case: tests/cases/category-forms ----------------------------------------
def latest_titles(bolt, typed: str) -> list[str]:
    """`latest 5 TYPED`: the titles shown, without their links."""
    shown = titles_in(bolt.command(f"latest 5 {typed}").json())
    return [t.rsplit("|", 1)[-1].rstrip(">") if t.startswith("<") else t for t in shown]


def category_lines(bolt) -> str:
    return bolt.command("categories", user_id="UMEMBER").json()["text"]


def test_case_category_forms_is_one_category_in_categories_and_latest(
    bolt, db, fake, database_url
):
    env = app_environment(database_url, fake)
    result = run_cli_in_process("import", str(CASE / "feed.xml"), env=env)
    assert result.returncode == 0, result.stderr
    assert category_lines(bolt) == "Categories: Social economy (3), Énergie (2)"
    with db.reading() as session:
        stored = set(session.execute(select(Item.category, Item.category_key)).all())
    assert stored == {(NFC, "énergie"), ("Social economy", "social economy")}
    energy = ["b: Wind cooperative grows in Nantes", "a: Solar cooperative opens in Lyon"]
    for typed in (NFC, NFD, "ÉNERGIE", "e\u0301nergie", "ÉＮＥＲＧＩＥ\u200b"):
        assert latest_titles(bolt, typed) == energy, typed
    social = latest_titles(bolt, "social\u00a0\u00a0ECONOMY")
    assert [t[:2] for t in social] == ["e:", "d:", "c:"]


def test_the_modal_adds_to_the_category_a_feed_spelled_otherwise(bolt, db, fake):
    add_item(db, "From a feed", category=NFD)
    view = open_add_modal(bolt, fake)
    values = form_values(title="From an admin", new_category=NFC, date=TODAY.isoformat())
    assert bolt.interaction(submission_of(view, "UADMIN", values)).text == ""
    assert category_lines(bolt) == "Categories: Énergie (2)"


# -- what people and channels asked for ------------------------------------------------
def test_a_channel_and_a_follow_of_the_category_get_items_of_both_forms(
    bolt, db, fake, database_url
):
    add_item(db, "Seed", category=NFC)  # the category is known
    subscribed = bolt.command(f"subscribe {NFD}", user_id="UADMIN", channel_id="CENERGY")
    assert subscribed.status_code == 200
    followed = bolt.command(f"follow cooperative in {NFD}", user_id="UMEMBER").json()["text"]
    assert "Following *cooperative* in Énergie" in followed, followed
    with db.reading() as session:
        assert session.scalar(select(Follow.category_key)) == "énergie"
        assert session.scalar(select(Subscription.categories)) == NFC
    precomposed = add_item(db, "Solar cooperative", category=NFC)
    decomposed = add_item(db, "Wind cooperative", category=NFD)
    spaced = add_item(db, "Grid cooperative", category=f"  {NFD.upper()}\u00a0")
    add_item(db, "Housing cooperative", category="Housing")
    drain_announcements(announcer(database_url, fake, db))
    assert shown_in(fake, "CENERGY") == Counter({precomposed: 1, decomposed: 1, spaced: 1})
    drain_follows(sender(bolt))
    assert_sent_once(fake, db, {"UMEMBER": [precomposed, decomposed, spaced]})


# -- the public feeds and page ---------------------------------------------------------
def test_public_feeds_and_news_filter_any_form_to_one_category(site, db):
    add_public(db, "Solar in Lyon", days=1, category=NFC)
    add_public(db, "Wind in Nantes", days=2, category=NFD)
    add_public(db, "Plain news", days=3, category="News")
    ids = set()
    for typed in (NFC, NFD, "ÉNERGIE"):
        atom = feedparser.parse(
            requests.get(f"{site}/feed.atom?category={quote(typed)}", timeout=10).content
        )
        assert [e.title for e in atom.entries] == ["Wind in Nantes", "Solar in Lyon"], typed
        ids.add(atom.feed.id)
    assert len(ids) == 1 and ids.pop().endswith("/category/" + quote("énergie", safe=""))
    page = requests.get(f"{site}/news?category={quote(NFD)}", timeout=10).text
    assert "Wind in Nantes" in page and "Solar in Lyon" in page and "Plain news" not in page


def test_a_sources_category_is_stored_as_its_items_will_spell_it(db):
    from storage import sources as source_store
    from storage.types import utcnow

    with db.transaction() as session:
        source = source_store.create_source(
            session, url="https://forms.example.coop/feed", now=utcnow(), category=f" {NFD}\t"
        )
        assert source.category == NFC
