"""The answer cache (bot/answer_cache.py) and the data revision (storage/revision.py,
migration 0019): every kind of write makes cached answers go, answers are the same
with the cache on and off, admins' and members' answers never mix, memory stays
bounded. Signed requests dispatched as Slack sends them (`bolt`); SQLite and
PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.answer_cache import AnswerCache
from bot.scheduled_publishing import publish_due
from domain.items import ItemDraft, fingerprint
from storage import curation, featured, revision
from storage.db import Database
from storage.entries import add_items
from storage.models import Featured, Item, ScheduledItem
from tests.conftest import in_process, run_cli_in_process, standard_users
from tests.curation_payloads import form_values, submission_of
from tests.test_featuring import choose
from tests.test_http_curation import TODAY, add_stored, open_add_modal, open_from_menu
from tests.test_http_home import open_home
from tests.test_http_latest import titles_in
from tests.test_http_search import click_more, more_value
from tests.test_scheduling import schedule, time_passes

READS = ["latest", "latest 2", "latest 3 housing", "search homes", "search members", "categories"]
USERS = ("UMEMBER", "UADMIN")


def version(db: Database) -> int:
    with db.reading() as session:
        return revision.current(session).version


def drafts(prefix: str, count: int, category: str = "News") -> list[ItemDraft]:
    base = datetime.now(UTC) - timedelta(days=2)
    return [
        ItemDraft(
            title=f"{prefix} {n}",
            published_at=base - timedelta(minutes=n),
            origin="test",
            fingerprint=fingerprint("cache", f"{prefix} {n}"),
            category=category,
            summary=f"Homes for members, part {n}",
        )
        for n in range(count)
    ]


@pytest.fixture
def cold(fake, db, database_url):
    """A second app on the same database whose answer cache is off: cold builds."""
    for sender in in_process(database_url, fake, db):
        sender.deps.answers = AnswerCache(enabled=False)
        yield sender


def answers(sender, fake, homes: bool = True) -> dict:
    """Every read answer, for a member and an admin, as each app gives it (`homes`:
    App Home too, whose event claim writes: not while another writer holds SQLite)."""
    seen = {}
    for user in USERS:
        for text in READS:
            body = sender.command(text, user_id=user).json()
            seen[(user, text)] = body
            if more_value(body):  # the "More" page too
                seen[(user, text, "more")] = click_more(sender, fake, more_value(body), user)
        if homes:
            seen[(user, "home")] = open_home(sender, fake, user, f"Ev{uuid.uuid4().hex}")
    return seen


def assert_same_as_cold(bolt, cold, fake) -> dict:
    warm = answers(bolt, fake)
    assert answers(bolt, fake) == warm  # hits: the same again
    assert warm == answers(cold, fake)
    return warm


# -- through Slack ------------------------------------------------------------------
def test_every_kind_of_write_changes_cached_answers_as_a_cold_build_would(
    bolt, cold, fake, db, database_url
):
    for n in range(4):
        add_stored(db, f"Homes for members {n}", days_ago=n + 1, category="Housing")
    shown = assert_same_as_cold(bolt, cold, fake)
    assert bolt.deps.answers.hits > 0  # the second round was served from the cache

    def changed() -> dict:
        nonlocal shown
        now = assert_same_as_cold(bolt, cold, fake)
        assert now != shown
        shown = now
        return now

    # Added through the admin's modal.
    view = open_add_modal(bolt, fake)
    values = form_values(title="Members build homes", new_category="Housing",
                         date=TODAY.isoformat())  # fmt: skip
    assert bolt.interaction(submission_of(view, "UADMIN", values)).text == ""
    assert "Members build homes" in titles_in(changed()[("UMEMBER", "latest")])
    with db.reading() as session:
        added = session.scalar(select(Item.id).where(Item.title == "Members build homes"))

    # Added by a feed poll (the same add_items), and by `coopnews import` in its own
    # process-like run (another connection, as the worker or the CLI would be).
    add_stored(db, "Polled homes for members", days_ago=0, category="Housing")
    assert "Polled homes for members" in titles_in(changed()[("UMEMBER", "latest")])
    result = run_cli_in_process("import", str(_listing()), env=_env(database_url, fake))
    assert result.returncode == 0, result.stderr
    changed()

    # Edited, re-categorised, retracted through the menus' modals.
    edit = open_from_menu(bolt, fake, "UADMIN", f"edit:{added}")
    values = form_values(title="Members build more homes", category="Housing",
                         date=TODAY.isoformat())  # fmt: skip
    assert bolt.interaction(submission_of(edit, "UADMIN", values)).text == ""
    assert "Members build more homes" in titles_in(changed()[("UMEMBER", "latest")])
    edit = open_from_menu(bolt, fake, "UADMIN", f"edit:{added}")
    values = form_values(title="Members build more homes", category="News",
                         date=TODAY.isoformat())  # fmt: skip
    assert bolt.interaction(submission_of(edit, "UADMIN", values)).text == ""
    assert "News (1)" in changed()[("UMEMBER", "categories")]["text"]

    # Featured, unfeatured, and a featured item's time running out (no write at all).
    oldest = _id_of(db, "Homes for members 3")
    choose(bolt, fake, "UADMIN", f"feature:{oldest}")
    assert titles_in(changed()[("UMEMBER", "latest")])[0] == "Homes for members 3"
    choose(bolt, fake, "UADMIN", f"unfeature:{oldest}")
    assert titles_in(changed()[("UMEMBER", "latest")])[0] != "Homes for members 3"
    choose(bolt, fake, "UADMIN", f"feature:{oldest}")
    changed()
    with db.reading() as session:
        until = session.scalar(select(Featured.featured_until))
    later = until + timedelta(seconds=1)
    for module in (featured, revision):  # the clock passes featured_until
        _patch_clock(module, later)
    try:
        assert titles_in(changed()[("UMEMBER", "latest")])[0] != "Homes for members 3"
    finally:
        for module in (featured, revision):
            _patch_clock(module, None)

    # Retracted through the delete modal.
    confirm = open_from_menu(bolt, fake, "UADMIN", f"delete:{added}")
    assert bolt.interaction(submission_of(confirm, "UADMIN", {})).text == ""
    assert "Members build more homes" not in json.dumps(list(changed().values()))

    # A scheduled item published by the worker's pass.
    fake.reset()  # open_add_modal takes the last views.open there is
    standard_users(fake)
    schedule(bolt, fake, title="Scheduled homes for members", new_category="Housing")
    time_passes(db)
    assert publish_due(cold.deps)
    assert "Scheduled homes for members" in titles_in(changed()[("UMEMBER", "latest")])
    with db.reading() as session:
        assert session.scalar(select(ScheduledItem.state)) == "published"

    # Many at once (on PostgreSQL the COPY path of storage/bulk.py).
    with db.transaction() as session:
        assert len(add_items(session, drafts("Bulk homes", 250, "Housing")).added) == 250
    changed()


def test_a_rolled_back_write_leaves_the_answers_as_they_were(bolt, cold, fake, db):
    add_stored(db, "Homes for members", category="Housing")
    before = assert_same_as_cold(bolt, cold, fake)
    try:
        with db.transaction() as session:
            add_items(session, drafts("Never committed", 3, "Housing"))
            session.execute(update(Item).values(title="Rolled back"))
            # Read while the writer's transaction is open (its own connection).
            during = answers(bolt, fake, homes=False)
            assert during == {k: v for k, v in before.items() if k[1] != "home"}
            raise RuntimeError("abandoned")
    except RuntimeError:
        pass
    assert assert_same_as_cold(bolt, cold, fake) == before


def test_admin_and_member_answers_never_mix(bolt, fake, db):
    item_id = add_stored(db, "Homes for members", category="Housing")

    def menus(user: str, text: str) -> list:
        body = bolt.command(text, user_id=user).json()
        return [b["accessory"] for b in body["blocks"] if "accessory" in b]

    for text in ("latest", "search homes"):
        assert menus("UMEMBER", text) == []  # the member first: cached without controls
        (menu,) = menus("UADMIN", text)
        assert menu["options"][0]["value"] == f"edit:{item_id}"
        assert menus("UMEMBER", text) == []
        assert len(menus("UADMIN", text)) == 1
    assert bolt.deps.answers.hits >= 4


def test_the_cache_stays_within_its_bounds(bolt, fake, db):
    for n in range(12):
        add_stored(db, f"Homes for members {n}", days_ago=n + 1)
    bolt.deps.answers = cache = AnswerCache(max_entries=20, max_bytes=64 * 1024)
    for n in range(60):
        body = bolt.command(f"search homes members {n}", user_id="UMEMBER").json()
        assert body == bolt.command(f"search homes members {n}", user_id="UMEMBER").json()
        entries, size = cache.size
        assert entries <= 20 and size <= 64 * 1024
    assert cache.hits == 60


def test_unchanged_data_is_not_read_again(bolt, fake, db, monkeypatch):
    """A repeated read builds nothing: only the revision is read."""
    add_stored(db, "Homes for members", category="Housing")
    bolt.command("latest", user_id="UMEMBER")
    bolt.command("categories", user_id="UMEMBER")
    import bot.paging

    def refuse(*args, **kwargs):
        raise AssertionError("built again")

    monkeypatch.setattr(bot.paging, "build_latest_page", refuse)
    monkeypatch.setattr("bot.listeners.commands.categories.categories_answer", refuse)
    assert titles_in(bolt.command("latest", user_id="UMEMBER").json()) == ["Homes for members"]
    assert "Housing (1)" in bolt.command("categories", user_id="UMEMBER").json()["text"]


# -- the revision itself ------------------------------------------------------------
WRITES = {
    "add_items": lambda s, ids: add_items(s, drafts("New", 2)),
    "bulk add_items": lambda s, ids: add_items(s, drafts("Many", 250)),
    "add_item (the modal)": lambda s, ids: curation.add_item(s, _fields("Added by hand"), "UADMIN"),
    "edit title": lambda s, ids: curation.update_item(
        s, s.get(Item, ids[0]), _fields("Edited", category="News"), "UADMIN"
    ),
    "re-categorise": lambda s, ids: s.execute(
        update(Item).where(Item.id == ids[0]).values(category="Art", category_key="art")
    ),
    "retract": lambda s, ids: curation.retract_item(s, s.get(Item, ids[0]), "UADMIN"),
    "delete": lambda s, ids: s.delete(s.get(Item, ids[0])),
    "feature": lambda s, ids: featured.feature(s, s.get(Item, ids[0]), "UADMIN"),
    "raw SQL summary": lambda s, ids: s.execute(update(Item).values(summary="new words")),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_writer_bumps_the_revision_once_committed(db, write):
    with db.transaction() as session:
        ids = add_items(session, drafts("Old", 2)).added
    before = version(db)
    with db.transaction() as session:
        WRITES[write](session, ids)
        session.flush()
    assert version(db) > before


def test_unfeaturing_bumps_and_writes_nothing_answers_show_do_not(db):
    with db.transaction() as session:
        (item_id,) = add_items(session, drafts("Old", 1)).added
        featured.feature(session, session.get(Item, item_id), "UADMIN")
    before = version(db)
    with db.transaction() as session:
        assert featured.unfeature(session, session.get(Item, item_id), "UADMIN")
    assert version(db) > before
    before = version(db)
    with db.transaction() as session:  # columns no answer shows
        session.execute(update(Item).values(announce=False, source_id=None))
    assert version(db) == before


def test_the_featured_end_is_part_of_the_revision(db):
    with db.transaction() as session:
        (item_id,) = add_items(session, drafts("Old", 1)).added
        until = featured.feature(session, session.get(Item, item_id), "UADMIN")
    with db.reading() as session:
        live = revision.current(session, now=until - timedelta(seconds=1))
        ended = revision.current(session, now=until + timedelta(seconds=1))
    assert (live.version, live.featured_live) == (ended.version, True)
    assert not ended.featured_live


def test_racing_writers_neither_deadlock_nor_lose_a_bump(db):
    """PostgreSQL: two transactions each hold an item row the other then wants. An
    immediate counter update would deadlock them (one holds the counter and waits for
    the other's row); the deferred bump takes the counter only at COMMIT."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: there is nothing to race")
    with db.transaction() as session:
        first, second = add_items(session, drafts("Raced", 2)).added
    before = version(db)
    holding = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def writer(mine: int, theirs: int, wait_first: bool) -> None:
        try:
            with db.transaction() as session:
                session.execute(update(Item).where(Item.id == mine).values(title=f"by {mine}"))
                holding.wait()  # both hold their own row now
                if wait_first:
                    # Waits for the other's row lock until it commits.
                    session.execute(
                        update(Item).where(Item.id == theirs).values(summary=f"{mine} too")
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(first, second, True)),
        threading.Thread(target=writer, args=(second, first, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and not any(t.is_alive() for t in threads)
    assert version(db) > before
    with db.reading() as session:
        assert session.scalar(select(Item.summary).where(Item.id == second)) == f"{first} too"


# -- the cache on its own -----------------------------------------------------------
def test_lru_bounds_and_revisions():
    at1, at2 = revision.Revision(1, False), revision.Revision(2, False)
    cache = AnswerCache(max_entries=3, max_bytes=1000)
    for n in range(5):
        cache.put(at1, n, f"v{n}", 10)
    assert cache.size == (3, 30) and cache.get(at1, 0) is None
    assert cache.get(at1, 2) == "v2"  # now the most recent: 3 goes first
    cache.put(at1, 5, "v5", 10)
    assert cache.get(at1, 3) is None and cache.get(at1, 2) == "v2"
    cache.put(at1, "big", "x", 126)  # over an eighth of max_bytes: not kept
    assert cache.get(at1, "big") is None
    for n in range(3):
        cache.put(at1, f"b{n}", "y", 120)
    assert cache.size[1] <= 1000
    cache.put(at2, "new", "z", 10)  # a newer revision: the older entries go
    assert cache.size == (1, 10) and cache.get(at2, "new") == "z"
    cache.put(at1, "late", "old", 10)  # built from older data than seen: not kept
    assert cache.get(at1, "late") is None
    # The featured end is part of the key.
    assert cache.get(revision.Revision(2, True), "new") is None


def test_threads_share_one_cache_safely():
    cache = AnswerCache(max_entries=50, max_bytes=10_000)
    failures: list[str] = []

    def work(n: int) -> None:
        for i in range(2000):
            at = revision.Revision(i // 500, False)
            key = (n, i % 70)
            cache.put(at, key, f"{at.version}:{key}", 30)
            found = cache.get(at, key)
            if found is not None and found != f"{at.version}:{key}":
                failures.append(found)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries, size = cache.size
    assert not failures and entries <= 50 and size <= 10_000 and size == 30 * entries


# -- helpers ------------------------------------------------------------------------
def _fields(title: str, category: str | None = "News"):
    return curation.ItemFields(
        title=title, url=None, category=category, summary=None, published_on=TODAY
    )


def _id_of(db, title: str) -> int:
    with db.reading() as session:
        return session.scalar(select(Item.id).where(Item.title == title))


def _patch_clock(module, moment: datetime | None) -> None:
    from storage.types import utcnow

    module.utcnow = (lambda: moment) if moment is not None else utcnow


def _env(database_url, fake):
    from tests.conftest import app_environment

    return app_environment(database_url, fake)


def _listing():
    """An ILO listing (tests/test_ilo_listing.py's VARIED) in a file."""
    import tempfile
    from pathlib import Path

    from tests.test_ilo_listing import VARIED

    path = Path(tempfile.mkdtemp()) / "listing.txt"
    path.write_text(VARIED, encoding="utf-8")
    return path
