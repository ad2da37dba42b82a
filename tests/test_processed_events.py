"""The processed-event record that makes Slack's redeliveries harmless."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from storage.events import claim_event, prune_events
from storage.models import ProcessedEvent
from storage.types import utcnow


def test_an_event_id_is_claimed_once_across_sessions(db):
    with db.transaction() as session:
        assert claim_event(session, "Ev1") is True
    with db.transaction() as session:
        assert claim_event(session, "Ev1") is False
        assert claim_event(session, "Ev2") is True


def test_a_rolled_back_claim_is_no_claim(db):
    try:
        with db.transaction() as session:
            assert claim_event(session, "EvFail") is True
            raise RuntimeError("the database went away mid-request")
    except RuntimeError:
        pass
    with db.transaction() as session:
        assert claim_event(session, "EvFail") is True


def test_old_event_ids_are_pruned(db):
    with db.transaction() as session:
        claim_event(session, "EvOld")
        claim_event(session, "EvNew")
        session.execute(
            update(ProcessedEvent)
            .where(ProcessedEvent.event_id == "EvOld")
            .values(created_at=utcnow() - timedelta(days=2))
        )
    with db.transaction() as session:
        assert prune_events(session) == 1
    with db.transaction() as session:
        assert claim_event(session, "EvOld") is True
        assert claim_event(session, "EvNew") is False
