"""The processed-event record that makes Slack's redeliveries harmless."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from storage.events import claim_event, prune_events
from storage.models import ProcessedEvent
from storage.types import utcnow


def test_an_event_id_is_claimed_once(db):
    assert claim_event(db, "Ev1") is True
    assert claim_event(db, "Ev1") is False
    assert claim_event(db, "Ev2") is True


def test_a_claim_is_committed_on_its_own(db):
    # Its own transaction: another session sees it at once, whatever follows the claim.
    assert claim_event(db, "EvSeen") is True
    with db.reading() as session:
        assert session.scalars(select(ProcessedEvent.event_id)).all() == ["EvSeen"]


def test_old_event_ids_are_pruned(db):
    claim_event(db, "EvOld")
    claim_event(db, "EvNew")
    with db.transaction() as session:
        session.execute(
            update(ProcessedEvent)
            .where(ProcessedEvent.event_id == "EvOld")
            .values(created_at=utcnow() - timedelta(days=2))
        )
    with db.transaction() as session:
        assert prune_events(session) == 1
    assert claim_event(db, "EvOld") is True
    assert claim_event(db, "EvNew") is False
