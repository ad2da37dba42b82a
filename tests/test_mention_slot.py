"""A channel's hourly mention when Slack did not take the message that carried it
(signed `/coopnews subscribe` requests, passes against the fake Web API)."""

from __future__ import annotations

import itertools

from tests.announce_helpers import add_news, announcer
from tests.fake_slack import Reply


def test_a_mention_slack_never_took_is_not_spent_for_the_hour(bolt, db, fake, database_url):
    bolt.command("subscribe mention here", user_id="UADMIN", channel_id="CMENTION429")
    (item,) = add_news(db, 1)
    refusals = itertools.count()

    def rate_limited(call):
        # Slack answers 429 to the post and to the client's retries: nothing is posted.
        if call.params.get("channel") == "CMENTION429" and next(refusals) < 4:
            return Reply({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "0"})
        return fake.default_answer(call)

    fake.handlers["chat.postMessage"] = rate_limited
    a = announcer(database_url, fake, db)
    report = a.run_pass()
    assert report.released == 1 and fake.posted("CMENTION429") == []
    a.run_pass()
    (posted,) = fake.posted("CMENTION429")
    assert posted["metadata"]["event_payload"] == {"item_id": item}
    # The item that matched still carries the mention: the slot was never used.
    assert posted["text"].startswith("<!here> "), posted["text"]
