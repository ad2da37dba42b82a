"""The manifest asks for the scopes the code's Web API calls need, no more, no fewer;
the README lists the same. A `subscribe` typed in a DM is answered, not failed."""

from __future__ import annotations

import re

from tests.conftest import ROOT

# Bot scopes per Web API method, from each method's page at https://api.slack.com/methods.
# conversations.* need the scope of every conversation type they may be given: a
# slash command can be typed in a channel, a private channel, a DM or a group DM.
SCOPES_BY_METHOD = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "conversations_info": {"channels:read", "groups:read", "im:read", "mpim:read"},
    "conversations_join": {"channels:join"},
    # Announcements live in channels (public or private); follows' DMs in the app's DM
    # (bot/follow_sender.py reads it after a crashed pass).
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    # A daily thread's replies, after a crash (not in conversations.history).
    "conversations_replies": {"channels:history", "groups:history"},
    # `mention @handle`: the user group's ID.
    "usergroups_list": {"usergroups:read"},
    # Only ever given `users=` (one person): the app's DM with them.
    "conversations_open": {"im:write"},
    "users_info": {"users:read"},
    # chat.getPermalink needs no scope (its method page).
    "chat_getPermalink": set(),
    "views_open": set(),
    "views_update": set(),
    "views_publish": set(),
    "auth_test": set(),
}
# Scopes no Web API call shows: the slash command itself.
FEATURE_SCOPES = {"commands"}


def manifest_bot_scopes() -> set[str]:
    text = (ROOT / "manifest.yml").read_text()
    block = text.split("    bot:\n", 1)[1]
    scopes = set()
    for line in block.splitlines():
        if line.strip().startswith("#"):
            continue
        found = re.match(r"\s+- ([a-z:._]+)", line)
        if not found:
            break
        scopes.add(found.group(1))
    return scopes


def web_api_methods_called() -> set[str]:
    called = set()
    for package in ("bot", "sources", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            # Called, or handed over to be called (`messages_since(client.conversations_history, …)`).
            called |= set(re.findall(r"client\.([a-z]+_[A-Za-z]+)\b", path.read_text()))
    return called


def test_every_method_the_code_calls_is_known_here():
    unknown = web_api_methods_called() - set(SCOPES_BY_METHOD)
    assert not unknown, f"add the scopes of {unknown} to SCOPES_BY_METHOD (and the manifest)"


def test_the_manifest_asks_for_exactly_the_scopes_the_calls_need():
    needed = set(FEATURE_SCOPES)
    for method in web_api_methods_called():
        needed |= SCOPES_BY_METHOD[method]
    assert manifest_bot_scopes() == needed


def test_the_readme_lists_the_manifests_scopes():
    readme = (ROOT / "README.md").read_text()
    paragraph = readme.split("The manifest asks for the scopes", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"`([a-z]+:[a-z]+|commands)`", paragraph)) == manifest_bot_scopes()


def test_subscribe_in_a_dm_says_to_use_a_channel(bolt, fake, db):
    def a_dm(call):
        return {"ok": True, "channel": {"id": call.params["channel"], "is_im": True}}

    fake.handlers["conversations.info"] = a_dm
    body = bolt.command("subscribe all", user_id="UADMIN", channel_id="D0DIRECT").json()
    assert body["response_type"] == "ephemeral"
    assert "Announcements go to channels: run this in a channel." in body["text"]
    assert fake.calls_to("conversations.join") == []


def test_the_manifest_has_the_suggest_message_shortcut():
    """DESIGN.md: the message shortcut's callback_id is `suggest_to_coopnews`; the code
    listens for the same id."""
    from bot.blocks.suggestions import SUGGEST_SHORTCUT

    text = (ROOT / "manifest.yml").read_text()
    block = text.split("  shortcuts:\n", 1)[1].split("\n  slash_commands:", 1)[0]
    entries = [e for e in block.split("    - ")[1:]]
    found = [dict(re.findall(r"(\w+): ([^#\n]+?)\s*(?:#.*)?$", e, re.MULTILINE)) for e in entries]
    assert {
        "name": '"Suggest to coopnews"',
        "type": "message",
        "callback_id": SUGGEST_SHORTCUT,
    }.items() <= found[0].items()
    assert SUGGEST_SHORTCUT == "suggest_to_coopnews"
    assert "description" in found[0]
