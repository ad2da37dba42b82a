"""Scheduling (issue 14, Schedule): signed requests to the app in process (`bolt`), the
fake Web API, and announcement passes as the worker runs them.

An item scheduled through the item form's "Publish at" stays out of latest, search,
feeds and announcements until its time; the pass after its time publishes it (through
the form's own storage path) and announces it once. Time passing is the store's
publish_at moved into the past ("the clock reached it"): the pass reads the real clock.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.scheduled_publishing import publish_due
from storage import curation as curation_store
from storage.models import AuditEntry, Item, ScheduledItem
from tests.announce_helpers import announcer, make_deps, shown_in, subscribe
from tests.block_kit import assert_valid_modal
from tests.curation_payloads import form_values, submission_of, user
from tests.test_http_curation import add_stored, open_add_modal
from tests.test_http_home import open_home, texts
from tests.test_http_latest import titles_in

TITLE = "Bakers' co-op opens in Lyon"


def ahead(seconds: int) -> int:
    return int((datetime.now(UTC) + timedelta(seconds=seconds)).timestamp())


def schedule(bolt, fake, title=TITLE, seconds=3600, user_id="UADMIN", **values) -> dict:
    """Submit the Add form with a Publish at `seconds` ahead; returns the response body."""
    view = open_add_modal(bolt, fake, user_id=user_id)
    values = form_values(title=title, date=datetime.now(UTC).date().isoformat(), **values)
    values["publish_at"]["publish_at_picker"]["selected_date_time"] = ahead(seconds)
    response = bolt.interaction(submission_of(view, user_id, values))
    assert response.status_code == 200
    bolt.settle()  # the confirmation and the refreshed Home tab are sent
    return json.loads(response.text) if response.text else {}


def rows(db) -> list[ScheduledItem]:
    with db.reading() as session:
        return session.scalars(select(ScheduledItem).order_by(ScheduledItem.id)).all()


def items(db) -> list[Item]:
    with db.reading() as session:
        return session.scalars(select(Item).order_by(Item.id)).all()


def time_passes(db, seconds: int = 7200) -> None:
    """The clock reaches every pending publish_at (moved back by `seconds`)."""
    with db.transaction() as session:
        for row in session.scalars(select(ScheduledItem)):
            row.publish_at = row.publish_at - timedelta(seconds=seconds)


def search_titles(bolt, words: str) -> list[str]:
    return titles_in(bolt.command(f"search {words}", user_id="UMEMBER").json())


def button(user_id: str, action_id: str, value: str, trigger_id="6000.1.home") -> dict:
    return {
        "type": "block_actions",
        "user": user(user_id),
        "api_app_id": "A0001",
        "token": "legacy-unused",
        "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": trigger_id,
        "team": {"id": "T0001", "domain": "coop"},
        "view": {"id": "VHOME", "type": "home", "callback_id": "", "private_metadata": ""},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"scheduled-actions-{value}",
                "text": {"type": "plain_text", "text": "x"},
                "value": value,
                "action_ts": "1700000000.000001",
            }
        ],
    }


# -- scheduling ---------------------------------------------------------------
def test_a_scheduled_item_is_nowhere_before_its_time_and_announced_once_after(
    bolt, fake, db, database_url
):
    subscribe(db, "CNEWS")
    add_stored(db, "Already there", days_ago=1)
    passes = announcer(database_url, fake, db)
    passes.run_pass()  # what was there before is announced first
    before = shown_in(fake, "CNEWS")

    assert schedule(bolt, fake, link="https://coop.example/lyon", new_category="Bakeries") == {}
    bolt.settle()
    (row,) = rows(db)
    assert (row.state, row.item_id, row.created_by) == ("pending", None, "UADMIN")
    # The admin is told when (each reader's own zone), and the Home tab is refreshed.
    told = fake.calls_to("chat.postEphemeral")[-1].params  # where /coopnews add was typed
    assert told["user"] == "UADMIN" and "Scheduled" in told["text"]
    assert fake.calls_to("views.publish")[-1].params["user_id"] == "UADMIN"
    assert f"<!date^{int(row.publish_at.timestamp())}^" in json.dumps(told["blocks"])

    # Not an item: not in latest, search, categories, nor announced by a pass.
    assert [i.title for i in items(db)] == ["Already there"]
    assert all("Lyon" not in t for t in titles_in(bolt.command("latest").json()))
    assert search_titles(bolt, "Lyon") == []
    assert "Bakeries" not in bolt.command("categories").json()["text"]
    passes.run_pass()
    assert shown_in(fake, "CNEWS") == before

    time_passes(db)
    report = passes.run_pass()
    assert report.messages == 1
    (published,) = [i for i in items(db) if i.title == TITLE]
    assert shown_in(fake, "CNEWS")[published.id] == 1
    (row,) = rows(db)
    assert (row.state, row.item_id) == ("published", published.id)
    assert titles_in(bolt.command("latest").json())[0] == f"<https://coop.example/lyon|{TITLE}>"
    assert search_titles(bolt, "Lyon") == [f"<https://coop.example/lyon|{TITLE}>"]
    assert "Bakeries" in bolt.command("categories").json()["text"]
    with db.reading() as session:
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        audit = [(a.user_id, a.action, a.item_id, a.details) for a in audit]
    assert audit[0][:3] == ("UADMIN", "scheduled", None)
    assert audit[-1] == (
        "UADMIN",
        "added",
        published.id,
        f"published as scheduled by UADMIN (#{row.id})",
    )
    # Later passes neither publish nor announce it again.
    passes.run_pass()
    assert shown_in(fake, "CNEWS")[published.id] == 1
    assert len([i for i in items(db) if i.title == TITLE]) == 1


@pytest.mark.parametrize(
    ("seconds", "message"),
    [(-60, "That time has passed"), (400 * 86400, "at most a year ahead")],
)
def test_publish_at_in_the_past_or_beyond_a_year_is_a_field_error(bolt, fake, db, seconds, message):
    body = schedule(bolt, fake, seconds=seconds)
    assert body["response_action"] == "errors"
    assert message in body["errors"]["publish_at"]
    assert rows(db) == [] and items(db) == []


def test_a_year_and_a_day_ahead_is_refused_a_year_ahead_is_not(bolt, fake, db):
    """ "At most a year ahead" is a calendar year: outside a leap year, a year and a
    day is 366 days, which a fixed 366-day limit let through."""
    now = datetime.now(UTC)
    try:
        year_later = now.replace(year=now.year + 1)
    except ValueError:  # 29 February
        year_later = now.replace(year=now.year + 1, day=28)
    beyond = (year_later + timedelta(days=1) - now).total_seconds()
    body = schedule(bolt, fake, seconds=int(beyond))
    assert "at most a year ahead" in body["errors"]["publish_at"]
    assert rows(db) == []
    assert schedule(bolt, fake, seconds=int((year_later - now).total_seconds()) - 120) == {}
    assert len(rows(db)) == 1


def test_empty_publish_at_publishes_now_as_before(bolt, fake, db):
    view = open_add_modal(bolt, fake)
    values = form_values(title="Right away", date=datetime.now(UTC).date().isoformat())
    assert bolt.interaction(submission_of(view, "UADMIN", values)).text == ""
    assert [i.title for i in items(db)] == ["Right away"] and rows(db) == []


def test_a_scheduled_item_may_be_dated_its_publication_day(bolt, fake, db):
    later = datetime.now(UTC) + timedelta(days=10)
    view = open_add_modal(bolt, fake)
    values = form_values(title="Dated ahead", date=later.date().isoformat())
    values["publish_at"]["publish_at_picker"]["selected_date_time"] = int(later.timestamp())
    assert bolt.interaction(submission_of(view, "UADMIN", values)).text == ""
    (row,) = rows(db)
    assert row.published_on == later.date()


def test_scheduling_a_duplicate_is_refused_in_the_form(bolt, fake, db):
    add_stored(db, "Known", url="https://coop.example/known")
    body = schedule(bolt, fake, title="Other title", link="https://coop.example/known")
    assert body["response_action"] == "errors" and "link" in body["errors"]
    assert rows(db) == []


def test_a_row_that_became_a_duplicate_fails_and_its_admin_is_told(bolt, fake, db, database_url):
    schedule(bolt, fake, link="https://coop.example/dup")
    add_stored(db, "Same link meanwhile", url="https://coop.example/dup")
    time_passes(db)
    deps = make_deps(database_url, fake, db)
    assert publish_due(deps) == []
    (row,) = rows(db)
    assert row.state == "failed" and "same link" in row.last_error
    dm = fake.calls_to("chat.postMessage")[-1].params
    assert dm["channel"] == "UADMIN" and "was not published" in dm["text"]
    assert [i.title for i in items(db)] == ["Same link meanwhile"]


# -- race-safety ------------------------------------------------------------------
def test_two_racing_publish_jobs_publish_each_row_once(bolt, fake, db, database_url):
    for n in range(6):
        schedule(bolt, fake, title=f"Race {n}")
    time_passes(db)
    workers = [make_deps(database_url, fake) for _ in range(2)]  # own engines, own pools
    start = threading.Barrier(2)
    published: list[list[int]] = []

    def job(deps) -> None:
        start.wait()
        published.append(publish_due(deps))

    threads = [threading.Thread(target=job, args=(deps,)) for deps in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # A job that met a locked database leaves its rows pending: the next pass takes them.
    published.append(publish_due(workers[0]))
    ids = [i for batch in published for i in batch]
    assert len(ids) == len(set(ids)) == 6
    assert sorted(i.title for i in items(db)) == [f"Race {n}" for n in range(6)]
    assert {(r.state, r.item_id in ids) for r in rows(db)} == {("published", True)}
    for deps in workers:
        deps.db.engine.dispose()


def test_a_row_rescheduled_after_the_pass_read_it_is_not_published(bolt, fake, db, database_url):
    """The pass reads the due rows, then an admin moves one to tomorrow before the
    pass reaches it: the pass must not publish it now (the claim checks the time)."""
    from bot.scheduled_publishing import publish_one
    from storage import scheduled

    schedule(bolt, fake, link="https://coop.example/lyon")
    time_passes(db)
    deps = make_deps(database_url, fake, db)
    with db.reading() as session:
        (due,) = scheduled.due_ids(session)
    opened = len(fake.calls_to("views.open"))
    bolt.interaction(button("UADMIN", "coopnews_scheduled_edit", str(due)))
    view = fake.wait_for("views.open", opened + 1)[-1].params["view"]
    values = form_values(
        link="https://coop.example/lyon", date=datetime.now(UTC).date().isoformat()
    )
    values["publish_at"]["publish_at_picker"]["selected_date_time"] = ahead(86400)
    assert bolt.interaction(submission_of(view, "UADMIN", values)).text == ""
    assert publish_one(deps, due) is None
    (row,) = rows(db)
    assert row.state == "pending" and items(db) == []


def test_a_job_killed_half_way_leaves_the_row_to_the_next_pass(
    bolt, fake, db, database_url, monkeypatch
):
    schedule(bolt, fake)
    time_passes(db)
    deps = make_deps(database_url, fake, db)

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed after claiming the row")

    # The claim (UPDATE ... state='published') has run when add_item dies.
    monkeypatch.setattr(curation_store, "add_item", crash)
    assert publish_due(deps) == []
    (row,) = rows(db)
    assert (row.state, row.item_id) == ("pending", None) and items(db) == []
    monkeypatch.undo()
    (item_id,) = publish_due(deps)
    assert rows(db)[0].item_id == item_id


# -- App Home: Edit and Cancel ---------------------------------------------------------
def test_app_home_lists_scheduled_items_for_admins_soonest_first(bolt, fake, db):
    schedule(bolt, fake, title="Later one", seconds=7200)
    schedule(bolt, fake, title="Sooner one", seconds=3600)
    view = open_home(bolt, fake, "UADMIN", "EvSched1")
    shown = texts(view)
    assert "Scheduled" in shown and shown.index("Sooner one") < shown.index("Later one")
    cancel = [
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "coopnews_scheduled_cancel"
    ]
    assert len(cancel) == 2 and all("confirm" in e for e in cancel)  # asks first
    member = texts(open_home(bolt, fake, "UMEMBER", "EvSched2"))
    assert "Sooner one" not in member and "Scheduled" not in member


def test_cancel_keeps_it_from_ever_being_published(bolt, fake, db, database_url):
    subscribe(db, "CNEWS")
    schedule(bolt, fake)
    (row,) = rows(db)
    published_homes = len(fake.calls_to("views.publish"))
    bolt.interaction(button("UADMIN", "coopnews_scheduled_cancel", str(row.id)))
    bolt.settle()
    (row,) = rows(db)
    assert (row.state, row.finished_by) == ("cancelled", "UADMIN")
    home = fake.wait_for("views.publish", published_homes + 1)[-1].params["view"]
    assert TITLE not in texts(home if isinstance(home, dict) else json.loads(home))
    time_passes(db)
    announcer(database_url, fake, db).run_pass()
    assert items(db) == [] and fake.posted("CNEWS") == []
    # A second Cancel (an old Home tab) changes nothing and says so.
    bolt.interaction(button("UADMIN", "coopnews_scheduled_cancel", str(row.id)))
    bolt.settle()
    assert "published or cancelled" in json.dumps(fake.calls_to("views.open")[-1].params["view"])


def test_edit_opens_the_form_prefilled_and_reschedules(bolt, fake, db, database_url):
    schedule(bolt, fake, link="https://coop.example/lyon")
    (row,) = rows(db)
    opened = len(fake.calls_to("views.open"))
    bolt.interaction(button("UADMIN", "coopnews_scheduled_edit", str(row.id)))
    view = fake.wait_for("views.open", opened + 1)[-1].params["view"]
    assert_valid_modal(view)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["title"]["element"]["initial_value"] == TITLE
    assert blocks["publish_at"]["element"]["initial_date_time"] == int(row.publish_at.timestamp())

    new_time = ahead(86400)
    values = form_values(
        title="Bakers' co-op opens in Lyon and Nantes",
        link="https://coop.example/lyon",
        date=datetime.now(UTC).date().isoformat(),
    )
    values["publish_at"]["publish_at_picker"]["selected_date_time"] = new_time
    assert bolt.interaction(submission_of(view, "UADMIN", values)).text == ""
    (row,) = rows(db)
    assert row.title.endswith("and Nantes") and int(row.publish_at.timestamp()) == new_time
    assert row.state == "pending" and items(db) == []

    time_passes(db, 2 * 86400)
    announcer(database_url, fake, db).run_pass()
    assert [i.title for i in items(db)] == ["Bakers' co-op opens in Lyon and Nantes"]


def test_emptying_publish_at_in_the_edit_publishes_now(bolt, fake, db):
    schedule(bolt, fake)
    (row,) = rows(db)
    bolt.interaction(button("UADMIN", "coopnews_scheduled_edit", str(row.id)))
    view = fake.wait_for("views.open", 2)[-1].params["view"]
    values = form_values(title=TITLE, date=datetime.now(UTC).date().isoformat())
    assert bolt.interaction(submission_of(view, "UADMIN", values)).text == ""
    (item,) = items(db)
    assert item.title == TITLE and rows(db)[0].item_id == item.id


def test_editing_a_published_item_ignores_a_forged_publish_at(bolt, fake, db):
    item_id = add_stored(db, "Published already")
    from tests.test_http_curation import open_from_menu

    view = open_from_menu(bolt, fake, "UADMIN", f"edit:{item_id}")
    assert "publish_at" not in {b["block_id"] for b in view["blocks"]}
    values = form_values(
        title="Published, corrected", date=items(db)[0].published_at.date().isoformat()
    )
    values["publish_at"]["publish_at_picker"]["selected_date_time"] = ahead(3600)
    assert bolt.interaction(submission_of(view, "UADMIN", values)).text == ""
    assert [i.title for i in items(db)] == ["Published, corrected"] and rows(db) == []


def test_a_scheduled_item_is_not_in_the_public_feed_until_published(bolt, fake, db, site):
    import requests

    schedule(bolt, fake, link="https://coop.example/lyon")
    assert "Lyon" not in requests.get(f"{site}/feed.atom", timeout=10).text
    time_passes(db)
    publish_due(bolt.deps)
    assert "Lyon" in requests.get(f"{site}/feed.atom", timeout=10).text


def test_the_models_match_migration_0015(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diffs if "scheduled_items" in repr(d) or "'featured'" in repr(d)]
    assert ours == []


def test_the_scheduled_command_lists_them_with_edit_and_cancel(bolt, fake, db):
    assert "Nothing is scheduled" in bolt.command("scheduled", user_id="UADMIN").json()["text"]
    schedule(bolt, fake, title="Later one", seconds=7200)
    schedule(bolt, fake, title="Sooner one", seconds=3600)
    body = bolt.command("scheduled", user_id="UADMIN").json()
    assert body["response_type"] == "ephemeral"
    shown = json.dumps(body["blocks"])
    assert "2 scheduled items" in shown and shown.index("Sooner one") < shown.index("Later one")
    assert shown.count("coopnews_scheduled_edit") == shown.count("coopnews_scheduled_cancel") == 2


def test_scheduled_titles_are_text_not_markup(bolt, fake, db):
    schedule(bolt, fake, title="Co-ops <!channel> & <@U123> <https://evil.example|x>")
    shown = texts(open_home(bolt, fake, "UADMIN", "EvSchedEsc"))
    listed = json.dumps(bolt.command("scheduled", user_id="UADMIN").json())
    for text in (shown, listed):
        assert "<!channel>" not in text and "<@U123>" not in text
        assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text


def test_the_same_item_cannot_be_scheduled_twice(bolt, fake, db):
    schedule(bolt, fake, link="https://coop.example/twice")
    body = schedule(bolt, fake, title="Another title", link="https://coop.example/twice")
    assert "Already scheduled" in body["errors"]["link"]
    body = schedule(bolt, fake, title=TITLE.upper(), seconds=7200)
    assert "Already scheduled" in body["errors"]["title"]
    assert len(rows(db)) == 1
