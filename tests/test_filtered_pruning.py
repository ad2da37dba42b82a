"""`filtered` deliveries (an item a channel's rules did not want) are pruned by the
worker's hourly job (bot/housekeeping.py, storage.deliveries.prune_filtered) once a
week old: the channel's after_item_id is raised past them first, so the items are
never judged again and nothing is announced twice or late. Both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.scheduler import build_scheduler
from storage.models import Delivery, DeliveryState, ProcessedEvent, Subscription
from storage.subscriptions import unsubscribe
from storage.types import utcnow
from tests.announce_helpers import add_news, announcer, assert_exactly_once, subscribe


def rows(db, channel: str) -> dict[int, str]:
    with db.reading() as session:
        found = session.execute(
            select(Delivery.item_id, Delivery.state).where(Delivery.channel_id == channel)
        ).all()
    return {item_id: state for item_id, state in found}


def age(db, channel: str, days: int) -> None:
    """As if the channel's rows had been planned `days` ago."""
    with db.transaction() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.channel_id == channel)
            .values(created_at=utcnow() - timedelta(days=days))
        )


def after_item_id(db, channel: str) -> int:
    with db.reading() as session:
        return session.scalar(
            select(Subscription.after_item_id).where(Subscription.channel_id == channel)
        )


def test_the_worker_prunes_week_old_filtered_rows_and_never_judges_them_again(
    db, fake, database_url
):
    subscribe(db, "CNEWSONLY", categories=["News"])
    subscribe(db, "CGONE", categories=["News"])
    wanted = add_news(db, 2, category="News")
    unwanted = add_news(db, 3, category="Sports")
    a = announcer(database_url, fake, db)
    a.run_pass()
    assert rows(db, "CNEWSONLY") == {
        **{i: DeliveryState.POSTED for i in wanted},
        **{i: DeliveryState.FILTERED for i in unwanted},
    }
    with db.transaction() as session:
        unsubscribe(session, "CGONE")
    age(db, "CNEWSONLY", 8)
    age(db, "CGONE", 8)
    recent = add_news(db, 1, category="Sports")  # judged now: kept
    a.run_pass()
    assert rows(db, "CNEWSONLY")[recent[0]] == DeliveryState.FILTERED
    with db.transaction() as session:  # an event id older than a day goes too
        session.add(ProcessedEvent(event_id="Ev-old", created_at=utcnow() - timedelta(days=2)))

    deps = a.deps
    job = build_scheduler(deps, blocking=False).get_job("prune-kept")
    assert job is not None and job.trigger.interval == timedelta(hours=1)
    assert job.func(*job.args) == (1, 3 + 3)  # CNEWSONLY's 3 and CGONE's 3

    assert rows(db, "CNEWSONLY") == {
        **{i: DeliveryState.POSTED for i in wanted},
        recent[0]: DeliveryState.FILTERED,
    }
    assert rows(db, "CGONE") == {i: DeliveryState.POSTED for i in wanted}
    assert after_item_id(db, "CNEWSONLY") == max(unwanted)
    # Later passes judge only new items: the pruned ones get no row again.
    later = add_news(db, 1, category="News")
    a.run_pass()
    a.run_pass()
    assert set(rows(db, "CNEWSONLY")) == set(wanted) | set(recent) | set(later)
    assert_exactly_once(fake, db, {"CNEWSONLY": wanted + later, "CGONE": wanted})
    # A second run has nothing left to prune.
    assert job.func(*job.args) == (0, 0)


def test_pending_and_posted_rows_are_never_pruned(db, fake, database_url):
    subscribe(db, "CKEEP", categories=["News"])
    ids = add_news(db, 2, category="News") + add_news(db, 1, category="Sports")
    a = announcer(database_url, fake, db)
    a.run_pass()
    age(db, "CKEEP", 30)
    from storage.deliveries import prune_filtered

    with db.transaction() as session:
        assert prune_filtered(session) == 1
    with db.reading() as session:
        left = session.scalar(select(func.count()).where(Delivery.channel_id == "CKEEP"))
    assert left == 2
    assert_exactly_once(fake, db, {"CKEEP": ids[:2]})


def test_pruning_goes_in_batches_each_a_complete_step(db, fake, database_url):
    from storage.deliveries import prune_filtered

    subscribe(db, "CBATCH", categories=["News"])
    wanted = add_news(db, 1, category="News")
    unwanted = add_news(db, 5, category="Sports")
    a = announcer(database_url, fake, db)
    a.run_pass()
    age(db, "CBATCH", 8)
    removed = []
    while True:
        with db.transaction() as session:
            removed.append(prune_filtered(session, limit=2))
        # After each batch: every unwanted item is below the mark or still has its row.
        mark = after_item_id(db, "CBATCH")
        left = rows(db, "CBATCH")
        assert all(i <= mark or i in left for i in unwanted), (mark, left)
        a.run_pass()
        assert set(rows(db, "CBATCH")) == set(left)  # nothing judged again
        if removed[-1] < 2:
            break
    assert removed == [2, 2, 1]
    assert rows(db, "CBATCH") == {wanted[0]: DeliveryState.POSTED}
    assert_exactly_once(fake, db, {"CBATCH": wanted})
