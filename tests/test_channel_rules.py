"""Channel rules: `/coopnews subscribe … matching/excluding/from/format/mention/thread`
through signed requests (`bolt`), judged by the announcer against the fake Web API."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.blocks.announce import ITEM_EVENT, THREAD_EVENT
from bot.blocks.rules_form import RULES_FORM
from bot.blocks.subscriptions import EDIT_RULES_ACTION
from bot.channel_rules import FormChoice, RuleError, parse_rules, rules_from_form
from domain.items import ItemDraft, fingerprint
from storage import sources as source_store
from storage import subscriptions
from storage.models import DailyThread, Delivery, DeliveryState, Subscription
from storage.types import utcnow
from tests.announce_helpers import (
    add_news,
    announcer,
    assert_exactly_once,
    drain,
    failing_posts,
    items_shown,
    subscribe,
)
from tests.curation_payloads import user, view_submission

_serial = itertools.count()


def add_titled(db, *texts: str, category: str = "News", source_id: int | None = None) -> list[int]:
    """Items with these titles ("title | summary" gives a summary too)."""
    from storage.entries import add_items

    base = datetime(2026, 11, 2, tzinfo=UTC)
    drafts = []
    for text in texts:
        n = next(_serial)
        title, _, summary = text.partition(" | ")
        drafts.append(
            ItemDraft(
                title=title,
                summary=summary or None,
                published_at=base + timedelta(minutes=n),
                origin="test",
                fingerprint=fingerprint("rules", str(n), title),
                category=category,
                url=f"https://coop.example/rules/{n}",
            )
        )
    with db.transaction() as session:
        return add_items(session, drafts, source_id=source_id).added


def sub_row(db, channel: str) -> Subscription:
    with db.reading() as session:
        return subscriptions.get_subscription(session, channel)


def states(db, channel: str) -> dict[int, str]:
    with db.reading() as session:
        rows = session.execute(
            select(Delivery.item_id, Delivery.state).where(Delivery.channel_id == channel)
        ).all()
    return dict(rows)


def shown(fake, channel: str) -> list[int]:
    return [i for m in fake.posted(channel) for i in items_shown(m)]


# -- the parser (pure) -----------------------------------------------------------
def test_the_syntax_is_read_into_rules():
    rules = parse_rules(
        'News matching housing, "Fair Trade" excluding layoffs from 3 7 format compact '
        "previews on mention @ops thread daily digest daily 09:00",
        {"news"},
    )
    assert rules.categories == ("News",)
    assert rules.matching == 'housing, "fair trade"' and rules.excluding == "layoffs"
    assert rules.sources == (3, 7) and rules.format == "compact" and rules.previews
    assert rules.mention.handle == "ops" and not rules.mention.resolved
    assert rules.thread == "daily" and rules.schedule.hour == 9
    assert parse_rules("mention here", set()).mention.markup == "<!here>"
    raw = parse_rules("mention <!subteam^S0OPS|@ops>", set()).mention
    assert raw.markup == "<!subteam^S0OPS>"
    for typed, named in (
        ("format fancy", "fancy"),
        ("format compact News", "News"),
        ("matching x from abc", "abc"),
        ("thread hourly", "hourly"),
        ("previews maybe", "maybe"),
        ("matching", "matching"),
        ("format compact format full", "format"),
    ):
        with pytest.raises(RuleError) as refused:
            parse_rules(typed, set())
        assert named in str(refused.value), typed
    with pytest.raises(RuleError) as refused:
        rules_from_form(FormChoice(delivery="daily", digest_at=""))
    assert refused.value.field == "rules_digest_at"


# -- the command -----------------------------------------------------------------
def test_rules_are_stored_shown_and_replaced_saying_what_changed(bolt, db, fake):
    fake.add_usergroup("S0OPS", "ops")
    with db.transaction() as session:
        source = source_store.create_source(
            session, url="https://coop.example/feed", now=utcnow()
        ).id
    body = bolt.command(
        f'subscribe News matching housing, "fair trade" excluding layoffs from {source} '
        "format compact mention @ops thread daily",
        user_id="UADMIN",
        channel_id="CRULES",
    ).json()
    assert body["response_type"] == "in_channel", body
    text = body["text"]
    assert 'matching housing, "fair trade"' in text and "excluding layoffs" in text
    assert f"only from source {source}" in text and "compact (one line each)" in text
    assert "in a daily thread" in text and "mentioning @ops at most once an hour" in text
    sub = sub_row(db, "CRULES")
    assert (sub.matching, sub.excluding, sub.source_ids) == (
        'housing, "fair trade"',
        "layoffs",
        str(source),
    )
    assert (sub.format, sub.mention, sub.thread) == ("compact", "subteam:S0OPS:ops", "daily")
    assert sub.timezone == "Europe/Zurich"  # the thread's day follows the admin's zone

    again = bolt.command(
        "subscribe News matching housing format headline", user_id="UADMIN", channel_id="CRULES"
    ).json()
    assert "Changed: matching, excluding, sources, format, mention, daily thread." in again["text"]
    assert "headlines only" in again["text"]
    sub = sub_row(db, "CRULES")
    assert (sub.excluding, sub.source_ids, sub.mention, sub.thread) == (None, None, None, None)

    listed = bolt.command("subscriptions", user_id="UADMIN").json()
    block = listed["blocks"][1]
    assert "<#CRULES>: “News”; matching housing; headlines only" in block["text"]["text"]
    assert block["accessory"]["action_id"] == EDIT_RULES_ACTION
    assert block["accessory"]["value"] == "CRULES"


def test_a_bad_rule_says_why_and_changes_nothing(bolt, db, fake):
    bolt.command("subscribe News format compact", user_id="UADMIN", channel_id="CBADRULE")
    before = sub_row(db, "CBADRULE")
    for typed, says in (
        ("subscribe News format tiny", "`format tiny`"),
        ("subscribe from 999", "No source has the ID 999"),
        ("subscribe mention @nobody", "no user group `@nobody`"),
        ("subscribe matching x thread daily extra", "`extra`"),
    ):
        body = bolt.command(typed, user_id="UADMIN", channel_id="CBADRULE").json()
        assert body["response_type"] == "ephemeral", typed
        assert says in body["text"], (typed, body["text"])
        after = sub_row(db, "CBADRULE")
        assert (after.categories, after.format, after.matching) == (
            before.categories,
            before.format,
            before.matching,
        ), typed


def test_keyword_source_and_category_rules_decide_what_each_channel_gets(
    bolt, db, fake, database_url
):
    with db.transaction() as session:
        feed = source_store.create_source(session, url="https://coop.example/a", now=utcnow()).id
        other = source_store.create_source(session, url="https://coop.example/b", now=utcnow()).id
    bolt.command('subscribe matching housing, "fair trade"', user_id="UADMIN", channel_id="CMATCH")
    bolt.command("subscribe excluding layoffs", user_id="UADMIN", channel_id="CEXCL")
    bolt.command(f"subscribe from {feed}", user_id="UADMIN", channel_id="CFROM")
    bolt.command(
        "subscribe Housing matching cooperative excluding closes",
        user_id="UADMIN",
        channel_id="CBOTH",
    )
    housing = add_titled(db, "Housing co-ops | Agtaş builds homes")  # News
    trade = add_titled(db, "Fair trade coffee | A cooperative of growers", source_id=feed)
    split = add_titled(db, "Trade that is fair | not the phrase", source_id=other)
    layoffs = add_titled(db, "Cooperative avoids LAYOFFS | housings news")
    plural = add_titled(db, "Cooperatives build | more", category="Housing")
    closes = add_titled(db, "Cooperative closes | sad", category="Housing")
    drain(announcer(database_url, fake, db))
    assert_exactly_once(
        fake,
        db,
        {
            "CMATCH": housing + trade + layoffs,  # "housings" is housing's plural, as search has it
            "CEXCL": housing + trade + split + plural + closes,
            "CFROM": trade,
            "CBOTH": plural,
        },
    )
    # Every item was judged once per channel: the others are recorded as filtered.
    assert states(db, "CFROM")[split[0]] == DeliveryState.FILTERED
    assert set(states(db, "CMATCH")) == set(housing + trade + split + layoffs + plural + closes)


def test_a_rule_change_applies_to_items_planned_afterwards(bolt, db, fake, database_url):
    bolt.command("subscribe matching housing", user_id="UADMIN", channel_id="CCHANGE")
    first = add_titled(db, "Housing first", "Energy first")
    a = announcer(database_url, fake, db)
    a.run_pass()
    bolt.command("subscribe matching energy", user_id="UADMIN", channel_id="CCHANGE")
    a.run_pass()  # the energy item was judged already: never reconsidered
    later = add_titled(db, "Housing later", "Energy later")
    a.run_pass()
    assert shown(fake, "CCHANGE") == [first[0], later[1]]


# -- formats, previews -----------------------------------------------------------
def test_formats_and_previews(bolt, db, fake, database_url):
    bolt.command("subscribe format compact", user_id="UADMIN", channel_id="CCOMPACT")
    bolt.command("subscribe format headline previews on", user_id="UADMIN", channel_id="CHEAD")
    bolt.command("subscribe", user_id="UADMIN", channel_id="CFULL")  # opens the form only
    bolt.command("subscribe all", user_id="UADMIN", channel_id="CFULL")
    (item,) = add_titled(db, "Bakers <!channel> & co | A long summary of the bakery")
    drain(announcer(database_url, fake, db))
    compact = fake.posted("CCOMPACT")[0]
    (block,) = compact["blocks"]
    line = block["text"]["text"]
    assert (
        line.startswith("*<https://coop.example/rules/") and "&lt;!channel&gt; &amp; co>*" in line
    )
    assert " · News" in line and "summary" not in line and "2026" in line
    assert unfurls(fake, "CCOMPACT") == (False, False)
    head = fake.posted("CHEAD")[0]
    (block,) = head["blocks"]
    assert block["text"]["text"].endswith("&lt;!channel&gt; &amp; co>*")
    assert "News" not in block["text"]["text"]
    assert unfurls(fake, "CHEAD") == (True, True)
    full = fake.posted("CFULL")[0]
    assert "A long summary" in full["blocks"][0]["text"]["text"]
    assert unfurls(fake, "CFULL") == (False, False)
    for message in (compact, head, full):
        assert message["metadata"]["event_payload"] == {"item_id": item}
        assert "<!channel>" not in json.dumps(message)


def unfurls(fake, channel: str) -> tuple[bool, bool]:
    (call,) = [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == channel]
    return tuple(
        str(call.params[k]).lower() in ("true", "1") for k in ("unfurl_links", "unfurl_media")
    )


def test_digests_keep_the_format(bolt, db, fake, database_url):
    bolt.command("subscribe format headline", user_id="UADMIN", channel_id="CDIGHEAD")
    ids = add_titled(db, "One", "Two", "Three")
    announcer(database_url, fake, db, digest_threshold=2).run_pass()
    (digest,) = fake.posted("CDIGHEAD")
    assert "3 new items" in digest["blocks"][0]["text"]["text"]
    lines = digest["blocks"][1]["text"]["text"].split("\n")
    assert len(lines) == 3 and all(line.startswith("*<https://") for line in lines)
    assert items_shown(digest) == ids


# -- mentions --------------------------------------------------------------------
def test_mention_at_most_once_an_hour_and_never_from_item_text(bolt, db, fake, database_url):
    fake.add_usergroup("S0HOUSE", "housing-team")
    bolt.command("subscribe matching housing mention here", user_id="UADMIN", channel_id="CHERE")
    # As Slack sends a group picked in the command: <!subteam^ID|@handle>.
    bolt.command(
        "subscribe matching housing mention <!subteam^S0HOUSE|@housing-team>",
        user_id="UADMIN",
        channel_id="CGROUP",
    )
    assert sub_row(db, "CGROUP").mention == "subteam:S0HOUSE:housing-team"
    add_titled(db, "Housing <!here> one", "Housing two")
    a = announcer(database_url, fake, db)
    a.run_pass()
    here = fake.posted("CHERE")
    assert (
        here[0]["text"].startswith("<!here> ")
        and here[0]["blocks"][0]["elements"][0]["text"] == "<!here>"
    )
    assert "&lt;!here&gt;" in json.dumps(here[0]["blocks"][1:])  # the item's own text stays escaped
    assert not here[1]["text"].startswith("<!here>")  # the same hour: no second mention
    group = fake.posted("CGROUP")
    assert (
        group[0]["text"].startswith("<!subteam^S0HOUSE> ") and "<!subteam" not in group[1]["text"]
    )
    add_titled(db, "Housing three")
    a.run_pass()
    assert "<!here>" not in json.dumps(fake.posted("CHERE")[2])
    # An hour later the next match mentions again.
    with db.transaction() as session:
        session.execute(
            update(Subscription)
            .where(Subscription.channel_id == "CHERE")
            .values(last_mention_at=utcnow() - timedelta(minutes=61))
        )
    add_titled(db, "Housing four")
    a.run_pass()
    assert fake.posted("CHERE")[3]["text"].startswith("<!here> ")


def test_racing_passes_mention_once(db, fake, database_url):
    channels = [f"CMRACE{n}" for n in range(4)]
    for channel in channels:
        subscribe(db, channel, rules=subscriptions.RuleColumns(mention="here"))
    ids = add_news(db, 3)
    # A claim of one message at a time: each pass takes a channel's items one by one,
    # so the three passes post to every channel at once and race for its mention.
    passes = [announcer(database_url, fake, claim_timeout=2) for _ in range(3)]
    race(passes)
    drain(*passes)
    assert_exactly_once(fake, db, {c: ids for c in channels})
    for channel in channels:
        mentions = [m for m in fake.posted(channel) if "<!here>" in m["text"]]
        assert len(mentions) == 1, channel
    for a in passes:
        a.db.dispose()


def race(passes) -> None:
    start = threading.Barrier(len(passes))

    def run(a):
        start.wait()
        a.run_pass()

    threads = [threading.Thread(target=run, args=(a,)) for a in passes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


# -- the daily thread --------------------------------------------------------------
def thread_rows(db, channel: str) -> list[DailyThread]:
    with db.reading() as session:
        return list(session.scalars(select(DailyThread).where(DailyThread.channel_id == channel)))


def assert_one_thread(fake, db, channel: str, items: list[int]) -> None:
    """One parent (metadata names the day, counts the items), every item once as its reply."""
    messages = fake.posted(channel)
    parents = [m for m in messages if (m.get("metadata") or {}).get("event_type") == THREAD_EVENT]
    assert len(parents) == 1, parents
    parent = parents[0]
    replies = [m for m in messages if m is not parent]
    assert all(m.get("thread_ts") == parent["ts"] for m in replies)
    assert sorted(i for m in replies for i in items_shown(m)) == sorted(items)
    assert all(m["metadata"]["event_type"] == ITEM_EVENT for m in replies)
    count = len(items)
    assert f"({count} item{'s' if count != 1 else ''})" in parent["text"], parent["text"]
    assert parent["text"].startswith("Co-op news · ")
    (row,) = thread_rows(db, channel)
    assert row.parent_ts == parent["ts"] and row.claim_token is None
    with db.reading() as session:
        recorded = dict(
            session.execute(
                select(Delivery.item_id, Delivery.thread_ts).where(
                    Delivery.channel_id == channel, Delivery.state == DeliveryState.POSTED
                )
            ).all()
        )
    assert recorded == {i: parent["ts"] for i in items}


def test_daily_thread_parent_once_items_as_replies_counted(bolt, db, fake, database_url):
    bolt.command("subscribe thread daily", user_id="UADMIN", channel_id="CTHREAD")
    first = add_news(db, 2)
    a = announcer(database_url, fake, db)
    a.run_pass()
    later = add_news(db, 1)
    a.run_pass()
    assert_one_thread(fake, db, "CTHREAD", first + later)
    parent = fake.posted("CTHREAD")[0]
    zurich_day = utcnow().astimezone(__import__("zoneinfo").ZoneInfo("Europe/Zurich")).date()
    assert parent["metadata"]["event_payload"] == {"day": zurich_day.isoformat()}
    assert [c.params["ts"] for c in fake.calls_to("chat.update")] == [parent["ts"]] * 2
    assert_exactly_once(fake, db, {"CTHREAD": first + later})


def test_racing_passes_post_one_parent(db, fake, database_url):
    channels = [f"CTRACE{n}" for n in range(3)]
    for channel in channels:
        subscribe(db, channel, rules=subscriptions.RuleColumns(thread="daily"))
    ids = add_news(db, 4)
    failing = failing_posts(fake, "o5oaoo5")

    def slow_parents(call):
        if THREAD_EVENT in str(call.params.get("metadata")):
            time.sleep(0.4)  # the other passes reach the parent's claim meanwhile
        return failing(call)

    fake.handlers["chat.postMessage"] = slow_parents
    # One message per claim: the three passes all need each channel's parent at once.
    passes = [announcer(database_url, fake, claim_timeout=2) for _ in range(3)]
    race(passes)
    for attempt in range(20):  # then passes one after another, claims left by a 503 expired
        with db.reading() as session:
            left = session.scalar(
                select(Delivery.id).where(Delivery.state != DeliveryState.POSTED).limit(1)
            )
        if left is None:
            break
        expire_claims(db)
        passes[attempt % 3].run_pass()
    for channel in channels:
        assert_one_thread(fake, db, channel, ids)
    for a in passes:
        a.db.dispose()


def expire_claims(db) -> None:
    """As if the claims' time had passed (the pass that held them is gone)."""
    past = utcnow() - timedelta(seconds=1)
    with db.transaction() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.state == DeliveryState.CLAIMED)
            .values(claimed_until=past)
        )
        session.execute(
            update(DailyThread).where(DailyThread.parent_ts.is_(None)).values(claimed_until=past)
        )


class Died(BaseException):
    """The pass is killed (not an Exception: nothing in the pass catches it)."""


def test_killed_after_the_parent_was_accepted_finds_it_not_reposted(db, fake, database_url):
    subscribe(db, "CTKILL", rules=subscriptions.RuleColumns(thread="daily"))
    ids = add_news(db, 2)
    a = announcer(database_url, fake, db)
    real_post = a.client.chat_postMessage

    def accepted_then_killed(**kwargs):
        real_post(**kwargs)  # Slack has the parent...
        raise Died()  # ...the pass dies before recording it

    a.client.chat_postMessage = accepted_then_killed
    with pytest.raises(Died):
        a.run_pass()
    (row,) = thread_rows(db, "CTKILL")
    assert row.parent_ts is None and row.claim_token is not None
    assert len(fake.posted("CTKILL")) == 1
    fresh = announcer(database_url, fake, db)
    assert fresh.run_pass().messages == 0  # while the claims hold: nothing
    expire_claims(db)
    report = fresh.run_pass()
    assert report.recovered >= 1 and report.items == 2
    assert_one_thread(fake, db, "CTKILL", ids)


def test_killed_after_a_reply_was_accepted_finds_it_in_the_thread(db, fake, database_url):
    subscribe(db, "CRKILL", rules=subscriptions.RuleColumns(thread="daily"))
    ids = add_news(db, 2)
    # parent accepted, first reply accepted but answered 503, second refused with 500
    fake.handlers["chat.postMessage"] = failing_posts(fake, "oa5")
    a = announcer(database_url, fake, db)
    a.run_pass()
    del fake.handlers["chat.postMessage"]
    expire_claims(db)
    report = a.run_pass()
    assert report.recovered == 1 and report.items == 1
    replies = fake.calls_to("conversations.replies")
    assert replies and replies[0].params["include_all_metadata"] == "1"
    assert_one_thread(fake, db, "CRKILL", ids)


# -- the form --------------------------------------------------------------------
def opened_view(fake) -> dict:
    return fake.wait_for("views.open", 1)[-1].params["view"]


def form_state(**fields) -> dict:
    def text(v):
        return {"value": {"type": "plain_text_input", "value": v}}

    def many(vs):
        return {
            "value": {"type": "multi_static_select", "selected_options": [{"value": v} for v in vs]}
        }

    def one(v):
        return {"value": {"type": "static_select", "selected_option": {"value": v}}}

    return {
        "rules_categories": many(fields.get("categories", [])),
        "rules_matching": text(fields.get("matching")),
        "rules_excluding": text(fields.get("excluding")),
        "rules_sources": many(fields.get("sources", [])),
        "rules_format": one(fields.get("format", "full")),
        "rules_delivery": one(fields.get("delivery", "instant")),
        "rules_digest_at": text(fields.get("digest_at")),
        "rules_mention": text(fields.get("mention")),
        "rules_options": {
            "value": {
                "type": "checkboxes",
                "selected_options": [{"value": v} for v in fields.get("options", [])],
            }
        },
    }


def test_the_form_is_prefilled_saves_and_shows_errors_under_fields(bolt, db, fake):
    add_news(db, 1, category="News")
    bolt.command(
        "subscribe News matching housing format compact thread daily",
        user_id="UADMIN",
        channel_id="CFORM",
    )
    response = bolt.command(
        "subscribe", user_id="UADMIN", channel_id="CFORM", trigger_id="111.form"
    )
    assert response.status_code == 200
    view = opened_view(fake)
    assert view["callback_id"] == RULES_FORM and view["private_metadata"] == "CFORM"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["rules_categories"]["element"]["initial_options"][0]["value"] == "News"
    assert blocks["rules_matching"]["element"]["initial_value"] == "housing"
    assert blocks["rules_format"]["element"]["initial_option"]["value"] == "compact"
    assert [o["value"] for o in blocks["rules_options"]["element"]["initial_options"]] == ["thread"]

    bad = bolt.interaction(
        view_submission(
            "UADMIN", RULES_FORM, "CFORM", form_state(format="compact", mention="@ghosts")
        )
    ).json()
    assert bad["response_action"] == "errors" and "@ghosts" in bad["errors"]["rules_mention"]
    bad = bolt.interaction(
        view_submission(
            "UADMIN", RULES_FORM, "CFORM", form_state(delivery="weekly", digest_at="09:00")
        )
    ).json()
    assert "Which day?" in bad["errors"]["rules_digest_at"]
    assert sub_row(db, "CFORM").format == "compact"  # nothing changed

    ok = bolt.interaction(
        view_submission(
            "UADMIN",
            RULES_FORM,
            "CFORM",
            form_state(
                excluding="layoffs", format="headline", mention="here", options=["previews"]
            ),
        )
    )
    assert ok.status_code == 200 and not ok.text
    sub = sub_row(db, "CFORM")
    assert (sub.categories, sub.matching, sub.excluding) == (None, None, "layoffs")
    assert (sub.format, sub.previews, sub.mention, sub.thread) == ("headline", True, "here", None)
    said = fake.wait_for("chat.postMessage", 1)[-1].params
    assert said["channel"] == "CFORM" and "Changed: categories, matching, excluding" in said["text"]
    assert "<!here>" not in said["text"] and "@here" in said["text"]


def test_the_edit_button_opens_the_channels_form(bolt, db, fake):
    bolt.command("subscribe matching energy", user_id="UADMIN", channel_id="CEDIT")
    listed = bolt.command("subscriptions", user_id="UADMIN").json()
    button = listed["blocks"][1]["accessory"]
    click = {
        "type": "block_actions",
        "user": user("UADMIN"),
        "api_app_id": "A0001",
        "team": {"id": "T0001", "domain": "coop"},
        "trigger_id": "222.edit",
        "container": {"type": "message", "is_ephemeral": True},
        "actions": [{**button, "block_id": "b", "action_ts": "1.0"}],
    }
    assert bolt.interaction(click).status_code == 200
    bolt.settle()
    view = opened_view(fake)
    assert view["private_metadata"] == "CEDIT"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["rules_matching"]["element"]["initial_value"] == "energy"


def test_a_retracted_item_is_no_longer_counted_by_its_daily_thread(bolt, db, fake, database_url):
    """An admin deletes (retracts) an item already replied in the day's thread: its reply
    says it was retracted, and the parent counts one item fewer, now and after later
    passes (signed requests: the subscription, the delete and its confirmation)."""
    from tests.curation_payloads import submission_of
    from tests.test_http_curation import open_from_menu

    bolt.command("subscribe thread daily", user_id="UADMIN", channel_id="CTHREADR")
    ids = add_news(db, 3)
    a = announcer(database_url, fake, db)
    a.run_pass()
    assert_one_thread(fake, db, "CTHREADR", ids)

    confirm = open_from_menu(bolt, fake, "UADMIN", f"delete:{ids[0]}")
    assert bolt.interaction(submission_of(confirm, "UADMIN", {})).text == ""
    bolt.settle()
    parent = fake.posted("CTHREADR")[0]
    assert parent["metadata"]["event_type"] == THREAD_EVENT
    assert "(2 items)" in parent["text"], parent["text"]
    retracted = [m for m in fake.posted("CTHREADR")[1:] if "retracted" in m["text"]]
    assert len(retracted) == 1 and retracted[0]["thread_ts"] == parent["ts"]

    later = add_news(db, 1)
    a.run_pass()
    assert "(3 items)" in fake.posted("CTHREADR")[0]["text"]  # two left, one new
    assert_exactly_once(fake, db, {"CTHREADR": ids + later})
