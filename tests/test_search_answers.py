"""Search answers pinned against a plain-Python reading of the same rules, for
every plan the store can pick (PostgreSQL: GIN sort, date walk, bounded walk
that gives up and sorts), so a faster plan can never change what people see.

The rules (storage/search.py, domain/words.py): every word must appear (a word
of four letters or more also as its plural or singular), a quoted phrase word
for word; case and accents fold; retracted items never show; items whose title
matches come first, then the rest; newest first within each group, the higher
id first on the same date. A page of `size` says "more" exactly when another
match follows it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from domain.items import ItemDraft, fingerprint
from domain.words import fold, folded_words, parse_query, variants
from storage import search
from storage.entries import add_items
from storage.models import Item

BASE = datetime(2026, 1, 1, tzinfo=UTC)
# Plain words (both engines cut them alike), accented ones, plurals.
VOCABULARY = [
    "coop",
    "coops",
    "housing",
    "credit",
    "union",
    "unions",
    "energy",
    "renewable",
    "Agtaş",
    "économie",
    "sociale",
    "kenya",
    "the",
    "of",
    "fair",
    "trade",
]
QUERIES = [
    "coop",  # and "coops"
    "union",
    "housing credit",  # both words, anywhere
    '"credit union"',  # in this order, side by side
    '"union credit"',
    "agtas",  # accent folded
    "ÉCONOMIE sociale",
    "kenya fair trade",
    "the",  # short: no plural
    '"coop"',  # a quoted word: exact, no plural
    "zzqx",  # nothing
]


def reference(items: list[dict], text: str) -> list[int]:
    """Ids in the order search must give them, from the rules above."""
    query = parse_query(text)

    def matches(words: tuple[str, ...]) -> bool:
        present = set(words)
        for word in query.words:
            if not any(form in present for form in variants(fold(word))):
                return False
        for typed in query.phrases:
            phrase = tuple(fold(w) for w in typed)
            n = len(phrase)
            if not any(words[i : i + n] == phrase for i in range(len(words) - n + 1)):
                return False
        return True

    visible = [item for item in items if not item["retracted"]]
    newest = sorted(visible, key=lambda item: (item["published_at"], item["id"]), reverse=True)
    title = [i["id"] for i in newest if matches(folded_words(i["title"]))]
    # A phrase never spans title and summary: every summary starts with "report".
    rest = [
        i["id"]
        for i in newest
        if i["id"] not in title and matches(folded_words(i["title"]) + folded_words(i["summary"]))
    ]
    return title + rest


@pytest.fixture
def archive(db):
    """150 items of random words, dates with ties, 12 retracted, 5 retitled after."""
    rng = random.Random(16)
    drafts = []
    for n in range(150):
        title = " ".join(rng.choices(VOCABULARY, k=rng.randint(2, 5)))
        summary = "report " + " ".join(rng.choices(VOCABULARY, k=rng.randint(0, 8)))
        drafts.append(
            ItemDraft(
                title=title.capitalize(),
                summary=summary,
                # 40 distinct dates for 150 items: many ties, ordered by id.
                published_at=BASE - timedelta(days=rng.randrange(40)),
                origin="test",
                fingerprint=fingerprint(f"answers-{n}"),
            )
        )
    with db.transaction() as session:
        ids = add_items(session, drafts).added
        retracted = rng.sample(ids, 12)
        session.execute(update(Item).where(Item.id.in_(retracted)).values(retracted_at=BASE))
        for item_id in rng.sample([i for i in ids if i not in retracted], 5):
            session.execute(
                update(Item).where(Item.id == item_id).values(title="Coops of Kenya renewable")
            )
    with db.reading() as session:
        items = [
            {
                "id": item.id,
                "title": item.title,
                "summary": item.summary,
                "published_at": item.published_at,
                "retracted": item.retracted_at is not None,
            }
            for item in session.scalars(select(Item))
        ]
    return db, items


PLANS = {
    # The store's own choice: on a small test database, no statistics, so a sort.
    "chosen": {},
    "sort-matches": {"DENSE_MATCHES": 10**9},
    "walk-date-index": {"DENSE_MATCHES": 1},
    # Statistics claiming every word is common: a bounded walk that often
    # ends before its page does and must then fall back to the sort.
    "bounded-walk-gives-up": {"DENSE_MATCHES": 1, "WALK_SLACK": 0.5, "WALK_MIN": 0},
    "bounded-walk": {"DENSE_MATCHES": 1, "WALK_SLACK": 3, "WALK_MIN": 0},
    # Statistics expecting a few thousand matches in a million rows (the middle
    # band): a bounded walk, no count.
    "middle-band-walk": {"stats": (1_000_000.0, 0.005)},
    # Statistics of a table this size: the bound of a later page reaches the
    # last row, and the walk goes on to the end of the date index unbounded.
    "walk-to-the-end": {"DENSE_MATCHES": 1, "WALK_SLACK": 3, "WALK_MIN": 0, "stats": (150.0, 0.5)},
}


def use_plan(monkeypatch, name: str) -> None:
    settings = dict(PLANS[name])
    rows, share = settings.pop("stats", (1_000_000.0, 0.5))
    for attribute, value in settings.items():
        monkeypatch.setattr(search, attribute, value)
    if "WALK_SLACK" in settings or "stats" in PLANS[name]:
        common = {form: share for word in VOCABULARY for form in folded_words(word)}
        stats = search._LexemeStats(rows, common, {k: min(1.0, 2 * share) for k in common})
        monkeypatch.setattr(search, "_lexeme_stats", lambda session: stats)


def pages(db, text: str, size: int) -> list[tuple[list[int], bool]]:
    got, offset = [], 0
    while True:
        with db.reading() as session:
            page = search.search(session, parse_query(text), size, offset)
        got.append(([item.id for item in page.items], page.has_more))
        offset += size
        if not page.has_more or len(got) > 200:
            return got


def expected_pages(ids: list[int], size: int) -> list[tuple[list[int], bool]]:
    chunks = [ids[at : at + size] for at in range(0, len(ids), size)] or [[]]
    return [(chunk, at < len(chunks) - 1) for at, chunk in enumerate(chunks)]


@pytest.mark.parametrize("plan", list(PLANS))
@pytest.mark.parametrize("size", [3, 10])
def test_every_page_matches_the_rules(archive, monkeypatch, plan, size):
    db, items = archive
    use_plan(monkeypatch, plan)
    for text in QUERIES:
        assert pages(db, text, size) == expected_pages(reference(items, text), size), text


def test_the_archive_exercises_every_rule(archive):
    # Guards the test itself: each query must have something to get wrong.
    db, items = archive
    found = {text: reference(items, text) for text in QUERIES}
    assert found["zzqx"] == []
    assert len(found["coop"]) > len(found['"coop"']) > 10
    assert found['"credit union"'] and found["housing credit"]
    assert found['"credit union"'] != found['"union credit"']
    assert found["agtas"] and found["ÉCONOMIE sociale"]
    assert len(found["union"]) > 20  # more than two pages of 10
    retracted = {item["id"] for item in items if item["retracted"]}
    assert retracted and not retracted & {i for ids in found.values() for i in ids}
    # Title matches and summary-only matches both, in the same answer.
    titles = {i["id"]: folded_words(i["title"]) for i in items}
    assert {"union" in titles[i] or "unions" in titles[i] for i in found["union"]} == {True, False}


@pytest.mark.parametrize("plan", list(PLANS))
def test_pages_from_any_offset_agree_with_the_rules(archive, monkeypatch, plan):
    # A "More" value can start anywhere, even past the title group or the end.
    db, items = archive
    use_plan(monkeypatch, plan)
    for text in ("union", "coop", '"credit union"'):
        ids = reference(items, text)
        for offset in (0, 3, 9, len(ids) // 2, len(ids) - 1, len(ids), len(ids) + 5):
            with db.reading() as session:
                page = search.search(session, parse_query(text), 10, offset)
            want = ids[offset : offset + 10]
            assert [i.id for i in page.items] == want, (text, offset)
            assert page.has_more == (offset + 10 < len(ids)), (text, offset)
