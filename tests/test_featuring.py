"""Featuring (issue 14, Feature): an admin's Feature / Unfeature in the per-item menu,
over signed requests (`bolt`) and the fake Web API; the featured item is shown first,
marked, in `latest`, App Home and digests, for 7 days or until unfeatured, at most one
at a time."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.blocks.items import FEATURED_MARK
from storage import curation, featured
from storage.db import Database
from storage.featured import FEATURE_DAYS
from storage.models import AuditEntry, Featured, Item
from tests.announce_helpers import add_news, announcer, items_shown, subscribe
from tests.curation_payloads import menu_click
from tests.test_http_home import open_home
from tests.test_http_latest import make_items, titles_in
from tests.test_http_search import click_more, more_value


def stories(db) -> dict[str, int]:
    """Story 0 (newest) to Story 4 (oldest); odd ones in News, even in Housing."""
    specs = [(f"Story {i}", i, "News" if i % 2 else "Housing", None, None) for i in range(5)]
    ids = make_items(db, specs)
    return {f"Story {i}": item_id for i, item_id in enumerate(ids)}


def choose(bolt, fake, user_id: str, value: str) -> dict:
    """An admin's menu choice; returns the notice modal the app opened."""
    opened = len(fake.calls_to("views.open"))
    assert bolt.interaction(menu_click(user_id, value)).status_code == 200
    return fake.wait_for("views.open", opened + 1)[-1].params["view"]


def latest(bolt, words: str = "", user_id: str = "UMEMBER") -> dict:
    return bolt.command(f"latest {words}".strip(), user_id=user_id).json()


def marked(body: dict) -> list[str]:
    """Titles whose item carries the featured marker."""
    out, title = [], None
    for block in body["blocks"]:
        if block.get("block_id", "").startswith("item-"):
            title = block["text"]["text"].split("\n")[0].strip("*")
        elif block["type"] == "context" and title is not None:
            if FEATURED_MARK in block["elements"][0]["text"]:
                out.append(title)
            title = None
    return out


def featured_rows(db) -> list[tuple[int, str]]:
    with db.reading() as session:
        return [(f.item_id, f.featured_by) for f in session.scalars(select(Featured))]


def audit(db) -> list[tuple[str, str, int | None]]:
    with db.reading() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(r.user_id, r.action, r.item_id) for r in rows]


def test_a_featured_item_is_first_in_latest_marked_and_never_repeated(bolt, fake, db):
    ids = stories(db)
    assert titles_in(latest(bolt))[0] == "Story 0"
    notice = choose(bolt, fake, "UADMIN", f"feature:{ids['Story 4']}")
    assert notice["title"]["text"] == "Featured" and "Story 4" in json.dumps(notice)

    body = latest(bolt)
    assert titles_in(body) == ["Story 4", "Story 0", "Story 1", "Story 2", "Story 3"]
    assert marked(body) == ["Story 4"]
    # Paged: the featured item rides above the first page; "More" neither repeats nor skips.
    first = latest(bolt, "2")
    assert titles_in(first) == ["Story 4", "Story 0", "Story 1"]
    second = click_more(bolt, fake, more_value(first))
    assert titles_in(second) == ["Story 2", "Story 3"] and marked(second) == []
    # In its own category first; not shown when filtering by another.
    assert titles_in(latest(bolt, "Housing"))[0] == "Story 4"
    assert "Story 4" not in titles_in(latest(bolt, "News"))
    # The admin's menu on it now offers Unfeature.
    admin = latest(bolt, user_id="UADMIN")
    menu = next(
        b["accessory"] for b in admin["blocks"] if b.get("block_id") == f"item-{ids['Story 4']}"
    )
    assert menu["options"][-1]["value"] == f"unfeature:{ids['Story 4']}"
    assert audit(db)[-1] == ("UADMIN", "featured", ids["Story 4"])


def test_featuring_another_replaces_it_at_most_one_at_a_time(bolt, fake, db):
    ids = stories(db)
    choose(bolt, fake, "UADMIN", f"feature:{ids['Story 3']}")
    choose(bolt, fake, "UOWNER", f"feature:{ids['Story 2']}")
    body = latest(bolt)
    assert titles_in(body)[:2] == ["Story 2", "Story 0"] and marked(body) == ["Story 2"]
    assert featured_rows(db) == [(ids["Story 2"], "UOWNER")]


def test_unfeature_restores_the_order_and_is_audited(bolt, fake, db):
    ids = stories(db)
    choose(bolt, fake, "UADMIN", f"feature:{ids['Story 3']}")
    # Unfeaturing an item that is not the featured one changes nothing.
    notice = choose(bolt, fake, "UADMIN", f"unfeature:{ids['Story 1']}")
    assert notice["title"]["text"] == "Not featured"
    assert featured_rows(db) == [(ids["Story 3"], "UADMIN")]
    notice = choose(bolt, fake, "UADMIN", f"unfeature:{ids['Story 3']}")
    assert notice["title"]["text"] == "Unfeatured"
    body = latest(bolt)
    assert titles_in(body)[0] == "Story 0" and marked(body) == []
    assert featured_rows(db) == []
    assert [a[1] for a in audit(db)] == ["featured", "unfeatured"]


def test_featured_for_seven_days_then_back_in_its_place(bolt, fake, db):
    ids = stories(db)
    before = datetime.now(UTC)
    choose(bolt, fake, "UADMIN", f"feature:{ids['Story 3']}")
    with db.reading() as session:
        until = session.scalar(select(Featured.featured_until))
    assert before + timedelta(days=FEATURE_DAYS) <= until <= datetime.now(UTC) + timedelta(days=7)
    with db.transaction() as session:  # seven days pass
        session.execute(
            update(Featured).values(featured_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    body = latest(bolt)
    assert titles_in(body) == ["Story 0", "Story 1", "Story 2", "Story 3", "Story 4"]
    assert marked(body) == []


def test_a_retracted_item_is_never_shown_as_featured(bolt, fake, db):
    ids = stories(db)
    choose(bolt, fake, "UADMIN", f"feature:{ids['Story 3']}")
    with db.transaction() as session:
        curation.retract_item(session, session.get(Item, ids["Story 3"]), "UADMIN")
    assert "Story 3" not in titles_in(latest(bolt))
    home = open_home(bolt, fake, "UMEMBER", "EvFeat0")
    assert "Story 3" not in json.dumps(home["blocks"])
    # And a deleted item cannot be featured from an old menu.
    notice = choose(bolt, fake, "UADMIN", f"feature:{ids['Story 3']}")
    assert notice["title"]["text"] == "Item gone"


def test_app_home_shows_the_featured_item_first_marked(bolt, fake, db):
    ids = stories(db)
    choose(bolt, fake, "UADMIN", f"feature:{ids['Story 4']}")
    home = open_home(bolt, fake, "UMEMBER", "EvFeat1")
    shown = titles_in(home)
    assert shown[0] == "Story 4" and shown.count("Story 4") == 1
    assert marked(home) == ["Story 4"]


def test_a_digest_shows_the_featured_item_first_marked(bolt, fake, db, database_url):
    subscribe(db, "CDIGEST")
    ids = add_news(db, 3, prefix="Digest")
    choose(bolt, fake, "UADMIN", f"feature:{ids[2]}")
    # More than one new item at once: one digest message (flood control).
    passes = announcer(database_url, fake, db, digest_threshold=1)
    passes.run_pass()
    (message,) = fake.posted("CDIGEST")
    assert items_shown(message) == [ids[2], ids[0], ids[1]]
    with db.reading() as session:
        featured_title = session.get(Item, ids[2]).title
    assert marked(message) == [featured_title]
    contexts = [b for b in message["blocks"] if b["type"] == "context"]
    assert FEATURED_MARK in contexts[0]["elements"][0]["text"]
    assert all(FEATURED_MARK not in c["elements"][0]["text"] for c in contexts[1:])


def test_two_admins_featuring_at_once_leave_exactly_one_featured(db, database_url):
    ids = stories(db)
    wanted = [ids["Story 1"], ids["Story 2"]]
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def admin(item_id: int, user_id: str) -> None:
        own = Database(database_url)  # its own connection, as another web worker
        try:
            start.wait()
            for _ in range(5):
                try:
                    with own.transaction() as session:
                        featured.feature(session, session.get(Item, item_id), user_id)
                    break
                except Exception as exc:  # SQLite: "database is locked" under contention
                    errors.append(exc)
        finally:
            own.engine.dispose()

    threads = [
        threading.Thread(target=admin, args=(item_id, user_id))
        for item_id, user_id in zip(wanted, ("UADMIN", "UOWNER"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    rows = featured_rows(db)
    assert len(rows) == 1 and rows[0][0] in wanted
    assert [a[1] for a in audit(db)] == ["featured", "featured"]
