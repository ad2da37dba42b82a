"""Rights in one place: every admin subcommand, action and view refuses a member and
changes nothing.

The walk reads what is registered (the router's table, the Bolt app's listeners), so
a new subcommand, admin verb, action or view is covered the day it is added: an
admin one must refuse; any other listener must be named in MEMBER_LISTENERS here,
a conscious choice a reviewer sees.
"""

from __future__ import annotations

import inspect
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.admins import REFUSAL
from bot.blocks.curation import FormContext
from bot.blocks.paging import MORE_ACTION
from bot.blocks.rules_form import RULES_FORM
from bot.blocks.scheduled import SCHEDULED_CANCEL, SCHEDULED_EDIT
from bot.blocks.subscriptions import EDIT_RULES_ACTION
from bot.listeners.commands.router import CommandRouter
from domain.items import ItemDraft, fingerprint
from storage import scheduled, subscriptions
from storage import sources as source_store
from storage import suggestions as suggestion_store
from storage.curation import ItemFields
from storage.entries import add_items
from storage.models import Base
from tests.curation_payloads import form_values, menu_click, user, view_submission

# Listeners anyone may use; each one's rights are decided inside it (the router
# checks per subcommand; More and App Home only read; the suggestion shortcut only
# opens a form, and the suggestion form stores a suggestion, never an item).
MEMBER_LISTENERS = {
    ("command", "/coopnews"),
    ("block_actions", MORE_ACTION),
    ("event", "app_home_opened"),
    ("shortcut", "suggest_to_coopnews"),
    ("view_submission", "coopnews_suggest_form"),
}
# Web API methods a refusal may call: who is asking, and the refusal notice itself.
REFUSAL_CALLS = {"users.info", "auth.test", "views.open"}


# -- the store, before and after ---------------------------------------------
def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every table: a refusal must leave all of it as it was."""
    with db.reading() as session:
        return {
            table.name: sorted((tuple(row) for row in session.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
def stocked(db):
    """One of everything a write could touch: an item, a source, a subscription."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with db.transaction() as session:
        (item_id,) = add_items(
            session,
            [
                ItemDraft(
                    title="Kept as it is",
                    published_at=now,
                    origin="test",
                    fingerprint=fingerprint("kept", "1"),
                    category="News",
                )
            ],
        ).added
        source_id = source_store.create_source(session, url="https://coop.example/feed", now=now).id
        subscriptions.subscribe(session, "CNEWS", created_by="UADMIN")
        suggestion_id = suggestion_store.add_suggestion(
            session,
            ItemFields("Suggested", "https://coop.example/s", None, now.date(), None),
            "UMEMBER",
        ).id
        suggestion_store.add_review_channel(session, "CREVIEW", "UADMIN")
    return {"item": item_id, "source": source_id, "suggestion": suggestion_id}


def web_api_calls(bolt, fake) -> list[str]:
    bolt.settle()  # what listeners do after their ack
    return [c.method for c in fake.calls if c.method not in REFUSAL_CALLS]


# -- subcommands ---------------------------------------------------------------
def the_router(bolt) -> CommandRouter:
    (router,) = [
        listener.ack_function
        for listener in bolt.app._listeners
        if isinstance(listener.ack_function, CommandRouter)
    ]
    return router


def example(words: str, ids: dict) -> str:
    """What an admin would type: real ids, so an open door would really write."""
    examples = {
        "sources add": "sources add https://coop.example/other News",
        "sources interval": f"sources interval {ids['source']} 60",
        "subscribe": "subscribe News",
        "audit": "audit 5",
    }
    if words in examples:
        return examples[words]
    return f"{words} {ids['source']}" if words.startswith("sources ") else words


def admin_commands(router: CommandRouter) -> list[str]:
    found = []
    for subcommand in router.listed:
        if subcommand.admin_only:
            found.append(subcommand.name)
        found += sorted(f"{subcommand.name} {verb}" for verb in subcommand.admin_verbs)
    return found


def test_the_walk_finds_the_admin_commands(bolt):
    # Not a list to keep up to date: a floor, so the walk cannot silently find nothing.
    found = admin_commands(the_router(bolt))
    assert {"add", "audit", "subscribe", "unsubscribe", "subscriptions"} <= set(found)
    assert {"sources add", "sources remove", "sources pause", "sources interval"} <= set(found)


def test_every_admin_command_refuses_a_member_and_changes_nothing(bolt, fake, db, stocked):
    before = snapshot(db)
    for words in admin_commands(the_router(bolt)):
        response = bolt.command(example(words, stocked), user_id="UMEMBER")
        assert response.status_code == 200, words
        body = response.json()
        assert body["response_type"] == "ephemeral", words
        assert body["text"] == REFUSAL, words
    assert snapshot(db) == before
    assert web_api_calls(bolt, fake) == []


def test_members_change_nothing_through_any_command(bolt, fake, db, stocked):
    """Every subcommand a member may use, and each of its verbs, only reads."""
    before = snapshot(db)
    ran = []
    for subcommand in the_router(bolt).listed:
        if subcommand.admin_only:
            continue
        for verb in ["", *sorted(subcommand.verbs - subcommand.admin_verbs)]:
            words = f"{subcommand.name} {verb}".strip()
            response = bolt.command(example(words, stocked), user_id="UMEMBER")
            assert response.status_code == 200, words
            ran.append(words)
    assert "sources list" in ran and "latest" in ran
    assert snapshot(db) == before


def test_the_same_command_from_an_admin_does_write(bolt, db, stocked):
    # The snapshot sees a change: the refusal tests above can fail.
    before = snapshot(db)
    body = bolt.command(f"sources pause {stocked['source']}", user_id="UADMIN").json()
    assert body["text"] != REFUSAL
    assert snapshot(db) != before


# -- actions and views ----------------------------------------------------------
def listener_key(listener) -> tuple[str, str]:
    """(kind, id) of a Bolt listener, read from its matcher (Bolt's builtin matchers
    keep the constraint in a closure)."""
    kinds = {
        "is_slash_command": "command",
        "_block_action": "block_actions",
        "is_view_submission": "view_submission",
        "is_event": "event",
        "is_shortcut": "shortcut",
        "is_message_shortcut": "shortcut",
        "is_global_shortcut": "shortcut",
    }
    for matcher in listener.matchers:
        func = getattr(matcher, "func", None)
        if func is None:
            continue
        kind = next((kinds[n] for n in func.__code__.co_names if n in kinds), None)
        values = [v for v in inspect.getclosurevars(func).nonlocals.values() if v is not None]
        for value in values:
            if isinstance(value, dict):
                value = value.get("type") or value.get("callback_id") or value.get("action_id")
            if kind and isinstance(value, str):
                return kind, value
    raise AssertionError(f"teach test_rights how to read {listener.ack_function!r}")


def is_admin_listener(bolt, listener) -> bool:
    return any(getattr(m, "func", None) is bolt.deps.require_admin for m in listener.middleware)


def member_payload(kind: str, key: str, ids: dict) -> dict:
    """A member's forged click, submission or shortcut, aimed at real data."""
    if kind == "view_submission":
        # Both the item's and the suggestion's: each form reads its own key.
        context = json.dumps(
            {"item_id": ids["item"], "suggestion_id": ids["suggestion"], "channel_id": "CNEWS"}
        )
        return view_submission("UMEMBER", key, context, form_values(title="Forged"))
    if kind == "block_actions":
        return {
            "type": "block_actions",
            "user": user("UMEMBER"),
            "api_app_id": "A0001",
            "team": {"id": "T0001", "domain": "coop"},
            "trigger_id": "5000.1.forged",
            "container": {"type": "message", "channel_id": "CNEWS", "is_ephemeral": True},
            "channel": {"id": "CNEWS", "name": "news"},
            "actions": [
                {
                    "type": "overflow",
                    "action_id": key,
                    "block_id": f"item-{ids['item']}",
                    # Suggestion buttons carry the suggestion's id, item menus verb:id.
                    "value": str(ids["suggestion"])
                    if key.startswith("suggestion_")
                    else f"delete:{ids['item']}",
                    "selected_option": {"value": f"delete:{ids['item']}"},
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
    if kind == "shortcut":
        return {
            "type": "message_action",
            "callback_id": key,
            "user": user("UMEMBER"),
            "team": {"id": "T0001", "domain": "coop"},
            "trigger_id": "5000.2.forged",
            "channel": {"id": "CNEWS", "name": "news"},
            "message": {"type": "message", "text": "Forged https://coop.example/x", "ts": "1.2"},
            "response_url": "",
        }
    raise AssertionError(f"an admin listener of kind {kind}: add its member payload here")


def test_every_listener_is_an_admins_or_named_for_members(bolt):
    keys = {}
    for listener in bolt.app._listeners:
        key = listener_key(listener)
        keys[key] = is_admin_listener(bolt, listener)
    open_to_members = {key for key, admin in keys.items() if not admin}
    assert open_to_members == MEMBER_LISTENERS
    assert any(keys.values()), "no admin listener found: the walk below would test nothing"


def test_every_admin_action_and_view_refuses_a_member_and_changes_nothing(bolt, fake, db, stocked):
    before = snapshot(db)
    walked = 0
    keys = set()
    for listener in bolt.app._listeners:
        if not is_admin_listener(bolt, listener):
            continue
        kind, key = listener_key(listener)
        opened = len(fake.calls_to("views.open"))
        response = bolt.interaction(member_payload(kind, key, stocked))
        assert response.status_code == 200, key
        if kind == "view_submission":
            body = response.json()
            assert body["response_action"] == "update", key
            shown = body["view"]
        else:
            shown = fake.wait_for("views.open", opened + 1)[-1].params["view"]
        assert shown["blocks"][0]["text"]["text"] == REFUSAL, key
        assert "submit" not in shown, key
        walked += 1
        keys.add(key)
    # Add item, the item menu, the item form, the delete form; Approve, Edit, Reject,
    # the edit-and-approve form, the reject form; the rules form and its Edit button.
    assert walked >= 11
    assert {RULES_FORM, EDIT_RULES_ACTION} <= keys
    assert snapshot(db) == before
    assert web_api_calls(bolt, fake) == []


# -- scheduling and featuring (issue 14): forged with real ids and real values -----------
def scheduled_row(db) -> int:
    when = datetime.now(UTC) + timedelta(hours=2)
    fields = ItemFields("Waiting for its time", None, "News", when.date(), None)
    with db.transaction() as session:
        return scheduled.schedule(session, fields, when, "UADMIN").id


def forged_button(action_id: str, value: str) -> dict:
    return {
        "type": "block_actions",
        "user": user("UMEMBER"),
        "api_app_id": "A0001",
        "team": {"id": "T0001", "domain": "coop"},
        "trigger_id": "5000.3.forged",
        "container": {"type": "view", "view_id": "VHOME"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"scheduled-actions-{value}",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def test_a_members_forged_schedule_feature_cancel_or_edit_changes_nothing(bolt, fake, db, stocked):
    row_id = scheduled_row(db)
    before = snapshot(db)
    in_an_hour = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    # Schedule a new item; reschedule or publish at once the waiting one.
    for context, publish_at in (
        (FormContext(channel_id="CNEWS"), in_an_hour),
        (FormContext(scheduled_id=row_id), in_an_hour),
        (FormContext(scheduled_id=row_id), None),
    ):
        values = form_values(title="Forged", publish_at=publish_at)
        body = bolt.interaction(
            view_submission("UMEMBER", "coopnews_item_form", context.encode(), values)
        ).json()
        assert body["response_action"] == "update"
        assert body["view"]["blocks"][0]["text"]["text"] == REFUSAL
    # Feature and unfeature from a forged menu; cancel or edit a scheduled item.
    for payload in (
        menu_click("UMEMBER", f"feature:{stocked['item']}"),
        menu_click("UMEMBER", f"unfeature:{stocked['item']}"),
        forged_button(SCHEDULED_CANCEL, str(row_id)),
        forged_button(SCHEDULED_EDIT, str(row_id)),
    ):
        opened = len(fake.calls_to("views.open"))
        assert bolt.interaction(payload).status_code == 200
        shown = fake.wait_for("views.open", opened + 1)[-1].params["view"]
        assert shown["blocks"][0]["text"]["text"] == REFUSAL
    assert snapshot(db) == before
    assert web_api_calls(bolt, fake) == []


def test_the_same_feature_and_cancel_from_an_admin_do_write(bolt, fake, db, stocked):
    row_id = scheduled_row(db)
    before = snapshot(db)
    bolt.interaction(menu_click("UADMIN", f"feature:{stocked['item']}"))
    payload = forged_button(SCHEDULED_CANCEL, str(row_id))
    payload["user"] = user("UADMIN")
    bolt.interaction(payload)
    bolt.settle()
    after = snapshot(db)
    assert after["featured"] != before["featured"]
    assert after["scheduled_items"] != before["scheduled_items"]
