"""Channel rules typed the way an attacker (or a careless paste) would: signed
`/coopnews subscribe` requests dispatched to the app (`bolt`)."""

from __future__ import annotations

import time

from bot.blocks.rules_form import RULES_FORM
from bot.blocks.subscriptions import rules_text
from bot.channel_rules import ChannelRules
from storage import subscriptions
from tests.announce_helpers import add_news, subscribe
from tests.curation_payloads import view_submission
from tests.test_channel_rules import form_state


def test_a_command_of_thousands_of_words_is_answered_within_slacks_three_seconds(bolt, db):
    # ~4,000 characters (Slack's limit) of one-letter words: read as categories. The
    # longest-known-category search must not try every run of words (cubic: ~20 s).
    text = "subscribe " + " ".join(["a"] * 1990)
    started = time.monotonic()
    body = bolt.command(text, user_id="UADMIN", channel_id="CLONGCMD").json()
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, elapsed
    assert body["response_type"] in ("in_channel", "ephemeral"), body
    with db.reading() as session:
        sub = subscriptions.get_subscription(session, "CLONGCMD")
    assert sub is None or sub.categories


def test_a_source_id_beyond_any_row_is_named_not_a_database_error(bolt, db, fake):
    # 12 digits: more than PostgreSQL's integer; the answer names it, nothing changes.
    for typed in ("subscribe from 99999999999", "subscribe from 2147483648"):
        body = bolt.command(typed, user_id="UADMIN", channel_id="CHUGEID").json()
        assert body["response_type"] == "ephemeral", body
        assert "No source has the ID" in body["text"] or "not one" in body["text"], body
    with db.reading() as session:
        assert subscriptions.get_subscription(session, "CHUGEID") is None


def test_a_forged_form_category_with_a_nul_byte_is_refused_or_cleaned_not_a_crash(
    bolt, db, fake
):
    response = bolt.interaction(
        view_submission(
            "UADMIN", RULES_FORM, "CNULCAT", form_state(categories=["News\x00<!channel>"])
        )
    )
    assert response.status_code == 200, response.text
    with db.reading() as session:
        sub = subscriptions.get_subscription(session, "CNULCAT")
    assert sub is not None and "\x00" not in (sub.categories or "")
    said = fake.wait_for("chat.postMessage", 1)[-1].params
    assert "<!channel>" not in said["text"] and "<!channel>" not in str(said.get("blocks"))


def test_subscriptions_of_sixty_channels_fit_one_message_and_name_every_channel(bolt, db):
    channels = [f"CMANY{n:02d}" for n in range(60)]
    for channel in channels:
        subscribe(db, channel, rules=subscriptions.RuleColumns(matching="housing"))
    body = bolt.command("subscriptions", user_id="UADMIN").json()
    blocks = body["blocks"]
    assert len(blocks) <= 50, len(blocks)  # Slack refuses more in a message
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if "text" in b)
    shown = " ".join(b["text"]["text"] for b in blocks if "text" in b)
    assert all(f"<#{c}>" in shown for c in channels)
    assert sum(1 for b in blocks if b.get("accessory")) >= 40  # Edit buttons, as many as fit


def test_more_keywords_than_a_rule_holds_are_refused_not_silently_cut(bolt, db):
    bolt.command("subscribe matching housing", user_id="UADMIN", channel_id="CMANYWORDS")
    terms = ", ".join(f"topic{n}" for n in range(25))
    # 25 terms: a rule holds 20. ~1,100 characters: a rule reads 1,000, and a word cut
    # there would match what nobody asked for.
    long = ", ".join(f"word{n:03d}x" for n in range(19)) + ", " + "x" * 900
    for typed in (f"subscribe matching {terms}", f"subscribe excluding {long}"):
        body = bolt.command(typed, user_id="UADMIN", channel_id="CMANYWORDS").json()
        assert body["response_type"] == "ephemeral", body["text"][:300]
        assert "at most" in body["text"], body["text"][:300]
        with db.reading() as session:
            sub = subscriptions.get_subscription(session, "CMANYWORDS")
        assert (sub.matching, sub.excluding) == ("housing", None)


def test_the_answer_to_long_rules_keeps_every_section_within_slacks_3000(bolt, db, fake):
    known = [f"Known category {n:03d}" for n in range(70)]
    for name in known:
        add_news(db, 1, category=name)
    unknown = [f"Unheard of {n:03d}" for n in range(70)]
    words = ", ".join(f"keyword{n:02d}" for n in range(20))
    typed = (
        "subscribe " + ", ".join(known + unknown) + f" matching {words} excluding {words} "
        "format compact previews on thread daily mention here"
    )
    assert len(typed) < 4000
    body = bolt.command(typed, user_id="UADMIN", channel_id="CLONGANSWER").json()
    assert body["response_type"] == "in_channel", body["text"][:300]
    assert all(len(b["text"]["text"]) <= 3000 for b in body["blocks"]), [
        len(b["text"]["text"]) for b in body["blocks"]
    ]
    again = bolt.command(
        typed.replace("compact", "headline"), user_id="UADMIN", channel_id="CLONGANSWER"
    ).json()
    assert all(len(b["text"]["text"]) <= 3000 for b in again["blocks"])


def test_hundreds_of_source_ids_are_counted_not_all_named():
    text = rules_text(ChannelRules(sources=tuple(range(1, 701))))
    assert text.startswith("only from sources 1, 2, 3") and "and 680 more" in text
    assert len(text) < 300
