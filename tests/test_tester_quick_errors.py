"""A quick subcommand (run in the request thread) that fails: the apology is its answer,
the error is logged once by the one error handler, and nothing else is sent."""

from __future__ import annotations

import pytest

import bot.listeners.commands.categories as categories_command
import bot.paging as paging


def boom(*args, **kwargs):
    raise RuntimeError("injected")


@pytest.mark.parametrize("text", ["categories", "latest 3", "search coop"])
def test_a_failing_quick_subcommand_apologises_once(bolt, fake, db, caplog, monkeypatch, text):
    monkeypatch.setattr(categories_command, "category_list", boom)
    monkeypatch.setattr(paging.featured, "front_page", boom)
    monkeypatch.setattr(paging.search, "search", boom)
    bolt.deps.answers.clear()
    response = bolt.command(text, user_id="UMEMBER")
    bolt.settle()
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "something went wrong" in body["text"], body
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "injected" in (errors[0].exc_text or str(errors[0].exc_info))
    assert fake.calls_to("response_url") == []
