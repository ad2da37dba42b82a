"""Category counts as people see them (`/coopnews categories`, App Home) follow what
admins do through the modals (add, re-categorise, delete), and stay right when
transactions race on the same items or roll back. Signed requests dispatched as
Slack sends them (`bolt`); SQLite and PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import json
import random
import threading

from sqlalchemy import select, update

from storage import categories
from storage.entries import add_items
from storage.models import Item
from tests.curation_payloads import form_values, submission_of
from tests.test_category_counts import DAY, assert_counts_right, draft
from tests.test_http_curation import TODAY, add_stored, open_add_modal, open_from_menu
from tests.test_http_home import open_home


def category_lines(bolt) -> str:
    """`/coopnews categories` as a member sees it: its text fallback."""
    return bolt.command("categories", user_id="UMEMBER").json()["text"]


def home_categories(bolt, fake, event_id: str) -> str:
    view = open_home(bolt, fake, "UMEMBER", event_id)
    blocks = json.dumps(view["blocks"], ensure_ascii=False)
    return blocks[blocks.index('"Categories"') :]


def test_categories_and_home_follow_the_modal_add_edit_and_delete(bolt, fake, db):
    add_stored(db, "Seeded", category="News")
    assert category_lines(bolt) == "Categories: News (1)"

    view = open_add_modal(bolt, fake)
    values = form_values(title="Homes for members", new_category="Housing",
                         date=TODAY.isoformat())  # fmt: skip
    assert bolt.interaction(submission_of(view, "UADMIN", values)).text == ""
    assert category_lines(bolt) == "Categories: Housing (1), News (1)"
    assert "• Housing: 1" in home_categories(bolt, fake, "EvCount1")
    with db.reading() as session:
        item_id = session.scalar(select(Item.id).where(Item.title == "Homes for members"))

    # Re-categorised through the edit modal: Housing is gone, News has both.
    edit = open_from_menu(bolt, fake, "UADMIN", f"edit:{item_id}")
    values = form_values(title="Homes for members", category="News", date=TODAY.isoformat())
    assert bolt.interaction(submission_of(edit, "UADMIN", values)).text == ""
    assert category_lines(bolt) == "Categories: News (2)"
    home = home_categories(bolt, fake, "EvCount2")
    assert "• News: 2" in home and "Housing" not in home

    confirm = open_from_menu(bolt, fake, "UADMIN", f"delete:{item_id}")
    assert bolt.interaction(submission_of(confirm, "UADMIN", {})).text == ""
    assert category_lines(bolt) == "Categories: News (1)"
    assert "• News: 1" in home_categories(bolt, fake, "EvCount3")
    assert_counts_right(db)


def test_a_rolled_back_transaction_changes_no_count(db):
    with db.transaction() as session:
        add_items(session, [draft("kept", "News")])
    before = assert_counts_right(db)
    try:
        with db.transaction() as session:
            add_items(session, [draft("gone", "Art"), draft("gone too", None)])
            session.execute(update(Item).where(Item.title == "kept").values(retracted_at=DAY))
            raise RuntimeError("abandoned")
    except RuntimeError:
        pass
    assert assert_counts_right(db) == before


def test_racing_edits_of_the_same_items_keep_counts_right(db):
    """Four threads re-categorise, retract and restore the SAME items at once, in
    different orders, while a fifth folds: each row's changes queue on its row, so
    every delta is written against the version it replaced."""
    with db.transaction() as session:
        add_items(session, [draft(f"shared {i}", f"Cat {i % 3}", f"https://s.example/{i}")
                            for i in range(6)])  # fmt: skip
    with db.reading() as session:
        ids = list(session.scalars(select(Item.id)))
    errors: list[BaseException] = []
    start = threading.Barrier(5)

    def editor(n: int) -> None:
        rng = random.Random(n)
        try:
            start.wait()
            for _ in range(8):
                with db.transaction() as session:
                    for item_id in rng.sample(ids, 3):
                        name = rng.choice(["Cat 0", "Cat 1", "cat 1", "New", None])
                        session.execute(
                            update(Item).where(Item.id == item_id).values(
                                category=name, category_key=categories.category_key(name),
                                retracted_at=DAY if rng.random() < 0.3 else None,
                            )
                        )  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def folder() -> None:
        try:
            start.wait()
            for _ in range(8):
                with db.transaction() as session:
                    categories.fold(session, force=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=folder))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if db.engine.dialect.name == "sqlite":  # one writer at a time: a busy database may refuse
        errors = [e for e in errors if "locked" not in str(e)]
    # PostgreSQL may pick a deadlock victim among editors taking rows in other orders:
    # that transaction rolls back whole (its deltas too), which is what counts must show.
    errors = [e for e in errors if "deadlock" not in str(e)]
    assert errors == []
    assert_counts_right(db)
