"""Follow DMs to a person Slack can no longer reach, found out while looking for a DM
whose answer was lost (`follow` as a signed request, the pass against the fake)."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import DeliveryState, FollowDelivery
from tests.announce_helpers import failing_posts
from tests.fake_slack import Reply
from tests.follow_helpers import add_item, sender


def test_a_person_deactivated_after_a_lost_answer_is_given_up_not_retried_forever(
    bolt, fake, db
):
    fake.add_user("UGONE")
    body = bolt.command("follow housing", user_id="UGONE").json()
    assert "Following *housing*" in body["text"]
    add_item(db, "Housing")
    # Slack takes the DM but the answer is lost; then the person is deactivated.
    fake.handlers["chat.postMessage"] = failing_posts(fake, "a")
    run = sender(bolt)
    assert run.run_pass().released == 1
    gone = Reply({"ok": False, "error": "user_disabled"})
    fake.handlers["conversations.open"] = lambda call: gone
    fake.handlers["chat.postMessage"] = lambda call: gone
    for _ in range(3):
        run.run_pass()
    assert len(fake.calls_to("conversations.open")) == 1  # asked once, not every pass
    with db.reading() as session:
        assert session.scalar(select(FollowDelivery.state)) == DeliveryState.FAILED
