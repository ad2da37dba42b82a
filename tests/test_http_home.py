"""App Home and Slack's event retries: signed events to the app in process (`bolt`); retries
also to the Procfile's web process (`slack`), where workers share the claim."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select, text, update

from storage.db import Database
from storage.models import Item, ItemSource, ProcessedEvent, Source, Subscription
from tests.conftest import in_process, new_database
from tests.test_http_latest import make_items

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def home_opened(user_id: str) -> dict:
    return {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }


def open_home(slack, fake, user_id: str, event_id: str) -> dict:
    before = len(fake.calls_to("views.publish"))
    response = slack.event(home_opened(user_id), event_id=event_id)
    assert response.status_code == 200
    call = fake.wait_for("views.publish", before + 1)[-1]
    assert call.params["user_id"] == user_id
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else view


def texts(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def action_ids(view: dict) -> list[str]:
    return [
        element.get("action_id")
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def headers(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


def populate(db) -> None:
    ids = make_items(
        db,
        [
            ("Newest story", 0, "News", "About <!channel>", None),
            ("Second story", 1, "COOP Champions", None, None),
            ("Third story", 2, "News", None, None),
        ],
    )
    with db.transaction() as session:
        healthy = Source(url="https://good.example/feed", title="Good feed", interval_seconds=1800)
        broken = Source(
            url="https://bad.example/feed",
            title="Broken feed",
            interval_seconds=1800,
            failures=4,
            last_error="HTTP 500 <@UADMIN>",
        )
        session.add_all([healthy, broken])
        session.flush()
        session.execute(update(Item).where(Item.id.in_(ids[:2])).values(source_id=healthy.id))
        # As add_items stores a source's items: each also linked in item_sources.
        session.add_all([ItemSource(item_id=i, source_id=healthy.id) for i in ids[:2]])
        session.add_all(
            [
                Subscription(channel_id="CNEWS", after_item_id=0, mode="instant"),
                Subscription(
                    channel_id="CDIGEST",
                    categories="coop champions",
                    after_item_id=0,
                    mode="weekly",
                    paused_at=NOW,
                ),
            ]
        )


def test_member_home_shows_items_categories_channels_and_no_admin_controls(bolt, db, fake):
    populate(db)
    view = open_home(bolt, fake, "UMEMBER", "EvMember1")
    assert view["type"] == "home"
    body = texts(view)
    assert headers(view) == ["coopnews", "Newest", "Categories", "Channels", "Your follows"]
    assert body.index("Newest story") < body.index("Second story") < body.index("Third story")
    assert "• News: 2" in body and "• COOP Champions: 1" in body
    assert "<#CNEWS>: all categories, instant" in body
    # As items spell it, like `/coopnews subscriptions` (the stored key was shown before).
    assert "<#CDIGEST>: COOP Champions, weekly · _paused_" in body
    # No admin controls, no sources' health.
    assert "open_add_item" not in action_ids(view)
    assert "Broken feed" not in body and "Sources" not in headers(view)
    # Item text is escaped: it cannot ping the channel.
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body


def test_admin_home_adds_the_add_item_button_and_sources_health(bolt, db, fake):
    populate(db)
    view = open_home(bolt, fake, "UADMIN", "EvAdmin1")
    assert "open_add_item" in action_ids(view)
    assert headers(view)[-1] == "Sources"
    body = texts(view)
    assert "<https://bad.example/feed|Broken feed>: :warning: 4 failed polls · 0 items" in body
    assert "HTTP 500 &lt;@UADMIN&gt;" in body
    assert "<https://good.example/feed|Good feed>: :white_check_mark: ok · 2 items" in body


def test_configured_admin_is_an_admin_too(bolt, db, fake):
    view = open_home(bolt, fake, "UCONFADMIN", "EvConf1")
    assert "open_add_item" in action_ids(view)
    assert "No news yet." in texts(view)


def test_messages_tab_publishes_nothing(bolt, db, fake):
    event = home_opened("UMEMBER") | {"tab": "messages"}
    assert bolt.event(event, event_id="EvMessagesTab").status_code == 200
    bolt.settle()
    assert fake.calls_to("views.publish") == []


def test_a_retried_event_publishes_once(slack, db, fake):
    open_home(slack, fake, "UMEMBER", "EvRetry1")
    for retry in (1, 2):
        response = slack.event(home_opened("UMEMBER"), event_id="EvRetry1", retry_num=retry)
        assert response.status_code == 200
    time.sleep(0.5)
    assert len(fake.calls_to("views.publish")) == 1
    # A new event (another id) is not mistaken for a retry.
    open_home(slack, fake, "UMEMBER", "EvRetry2")
    assert len(fake.calls_to("views.publish")) == 2
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2


# Test-only triggers: each row written to these tables records the transaction's
# synchronous_commit at that moment (TG_TABLE_NAME: which table was written).
COMMIT_MODES = [
    "CREATE TABLE commit_modes (n serial PRIMARY KEY, written text, mode text)",
    """CREATE FUNCTION record_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    INSERT INTO commit_modes (written, mode)
    VALUES (TG_TABLE_NAME, current_setting('synchronous_commit')); RETURN NULL; END $$""",
    *(
        f"""CREATE TRIGGER record_commit_mode AFTER INSERT ON {table}
        FOR EACH ROW EXECUTE FUNCTION record_commit_mode()"""
        for table in ("processed_events", "subscriptions")
    ),
]


@pytest.fixture
def one_connection(tmp_path, fake):
    """(sender, db): the app in process on a fresh PostgreSQL database whose pool holds
    one connection, so every statement, the claim's and the next write's, runs on it."""
    with new_database(tmp_path) as url:
        db = Database(url, pool_size=1, max_overflow=0)
        with db.transaction() as session:
            for statement in COMMIT_MODES:
                session.execute(text(statement))
        try:
            yield from ((sender, db) for sender in in_process(url, fake, db))
        finally:
            db.dispose()


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="synchronous_commit is PostgreSQL's"
)
def test_only_the_event_claim_commits_without_waiting_for_the_disk(one_connection, fake):
    bolt, db = one_connection
    open_home(bolt, fake, "UMEMBER", "EvRelaxed1")
    bolt.settle()
    # A write after it, on the same connection, commits as every write does.
    assert bolt.command("subscribe all", user_id="UADMIN", channel_id="CNEWS").status_code == 200
    # Slack's retry of the event is dropped by the claim, not handled again.
    retried = bolt.event(home_opened("UMEMBER"), event_id="EvRelaxed1", retry_num=1)
    assert retried.status_code == 200
    bolt.settle()
    assert len(fake.calls_to("views.publish")) == 1
    with db.reading() as session:
        modes = session.execute(text("SELECT written, mode FROM commit_modes ORDER BY n")).all()
        after = session.scalar(text("SELECT current_setting('synchronous_commit')"))
    assert [tuple(row) for row in modes] == [("processed_events", "off"), ("subscriptions", "on")]
    assert after == "on"  # the claim's setting ended with its transaction


def test_a_forged_event_is_refused_and_not_recorded(bolt, db, fake):
    response = bolt.event(home_opened("UADMIN"), event_id="EvForged", secret="wrong")
    assert response.status_code == 401
    bolt.settle()
    assert fake.calls_to("views.publish") == []
    with db.reading() as session:
        assert session.get(ProcessedEvent, "EvForged") is None


# App Home's statements once the shared item parts are cached: the event's claim
# (bot/listeners/events/retries.py) and one read of the revision and every per-person
# part (storage.home.home_reads). On PostgreSQL each statement is a round trip, which
# on a loaded server waits to be scheduled (issue #16: the admin's Home made seven).
HOME_STATEMENTS = 2


@pytest.mark.parametrize("user", ["UMEMBER", "UADMIN"])
def test_app_home_runs_two_statements_when_its_items_are_cached(bolt, db, fake, user):
    populate(db)
    first = open_home(bolt, fake, user, f"EvCount{user}0")  # fills the answer cache
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        view = open_home(bolt, fake, user, f"EvCount{user}1")
        bolt.settle()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert view == first
    assert ("Sources" in headers(view)) == (user == "UADMIN")
    assert len(statements) <= HOME_STATEMENTS, statements
