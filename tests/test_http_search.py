"""`/coopnews search`, `categories` and the "More" button: signed requests to the app in
process (`bolt`); paging through search once over HTTP to gunicorn (`slack`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, update

from bot.listeners.errors import APOLOGY
from storage.models import Item
from tests.test_http_latest import make_items, seven_items, titles_in

BASE = datetime(2026, 11, 1, tzinfo=UTC)


def more_value(body: dict) -> str | None:
    for block in body["blocks"]:
        if block["type"] == "actions":
            for element in block["elements"]:
                if element.get("action_id") == "coopnews_more":
                    return element["value"]
    return None


def click_more(slack, fake, value: str, user_id: str = "UMEMBER") -> dict:
    """Click "More" as Slack sends it; returns what the app posted to the response_url."""
    before = len(fake.calls_to("response_url"))
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0001"},
        "api_app_id": "A0001",
        "token": "legacy-unused",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": "CNEWS",
            "is_ephemeral": True,
        },
        "trigger_id": "1337.42.trigger",
        "team": {"id": "T0001", "domain": "coop"},
        "channel": {"id": "CNEWS", "name": "news"},
        "response_url": slack.response_url,
        "actions": [
            {
                "action_id": "coopnews_more",
                "block_id": "coopnews-more",
                "value": value,
                "type": "button",
                "action_ts": "1700000001.000200",
            }
        ],
    }
    assert slack.interaction(payload).status_code == 200
    return fake.wait_for("response_url", before + 1)[-1].params


def search(slack, text: str) -> dict:
    response = slack.command(f"search {text}")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    return body


# -- search ---------------------------------------------------------------------
def test_search_is_case_and_accent_insensitive(bolt, db):
    make_items(
        db,
        [
            ("Agtaş cooperative opens a bakery", 3, "News", None, None),
            ("Unrelated", 2, "News", "Nothing to see", None),
            ("Économie sociale en Suisse", 1, "News", None, None),
        ],
    )
    assert titles_in(search(bolt, "agtas")) == ["Agtaş cooperative opens a bakery"]
    assert titles_in(search(bolt, "AGTAŞ")) == ["Agtaş cooperative opens a bakery"]
    assert titles_in(search(bolt, "ECONOMIE")) == ["Économie sociale en Suisse"]
    heading = search(bolt, "agtas")["blocks"][0]["text"]["text"]
    assert heading == "*Results for “agtas”*"


def test_title_matches_rank_above_summary_matches_then_newest(bolt, db):
    make_items(
        db,
        [
            ("Housing co-ops grow", 30, "News", None, None),
            ("Bank news", 0, "News", "A report on housing in Geneva", None),
            ("New housing law", 10, "News", "Parliament votes", None),
            ("Weather", 1, "News", "Rain", None),
        ],
    )
    assert titles_in(search(bolt, "housing")) == [
        "New housing law",
        "Housing co-ops grow",
        "Bank news",
    ]


def test_words_must_all_match_and_quoted_phrases_match_as_phrases(bolt, db):
    make_items(
        db,
        [
            ("Social economy week", 1, "News", None, None),
            ("Economy of the social kind", 2, "News", None, None),
            ("Social clubs", 3, "News", None, None),
        ],
    )
    assert titles_in(search(bolt, "social economy")) == [
        "Social economy week",
        "Economy of the social kind",
    ]
    assert titles_in(search(bolt, '"social economy"')) == ["Social economy week"]
    # Slack's smart quotes work too.
    assert titles_in(search(bolt, "\u201csocial economy\u201d")) == ["Social economy week"]


def test_words_find_their_plural_and_singular(bolt, db):
    make_items(
        db,
        [
            ("Cooperatives in Kenya", 1, "News", None, None),
            ("A cooperative bank", 2, "News", None, None),
        ],
    )
    both = ["Cooperatives in Kenya", "A cooperative bank"]
    assert titles_in(search(bolt, "cooperative")) == both
    assert titles_in(search(bolt, "COOPERATIVES")) == both
    # ...but a quoted word is matched exactly.
    assert titles_in(search(bolt, '"cooperative"')) == ["A cooperative bank"]


def test_no_hits_gives_a_clear_answer_with_a_hint(bolt, db):
    seven_items(db)
    body = search(bolt, "gardening")
    assert titles_in(body) == []
    assert "No news matches “gardening”" in body["text"]
    assert "/coopnews latest" in body["text"]
    phrase = search(bolt, '"summary story"')
    assert "without the quotes" in phrase["text"]


def test_an_empty_search_explains_how_to_search(bolt, db):
    for text in ("", "  ", '"" * -'):
        body = bolt.command(f"search {text}").json()
        assert "Tell me what to look for" in body["text"]


def test_retracted_items_never_appear(bolt, db):
    ids = make_items(
        db,
        [
            ("Housing news kept", 1, "News", None, None),
            ("Housing news gone", 2, "News", None, None),
        ],
    )
    with db.transaction() as session:
        session.execute(update(Item).where(Item.id == ids[1]).values(retracted_at=BASE))
    assert titles_in(search(bolt, "housing")) == ["Housing news kept"]


def test_the_index_follows_edits_and_deletes(bolt, db):
    ids = make_items(db, [("Old title", 1, "News", "old words", None)])
    with db.transaction() as session:
        item = session.get(Item, ids[0])
        item.title = "Fresh title"
        item.summary = "new words"
    assert titles_in(search(bolt, "fresh")) == ["Fresh title"]
    assert titles_in(search(bolt, "new words")) == ["Fresh title"]
    assert titles_in(search(bolt, "old")) == []
    with db.transaction() as session:
        session.execute(delete(Item).where(Item.id == ids[0]))
    assert titles_in(search(bolt, "fresh")) == []


HOSTILE = [
    "NEAR(housing coop, 2)",
    "housing OR bank NOT weather",
    "title:housing",
    "{title summary}: housing",
    "housing*",
    "* ^ - + : ( ) \" '",
    '"unbalanced quote',
    "-housing",
    "housing' OR '1'='1",
    "'; DROP TABLE items; --",
    "\\ \\\\ % _",
    "ʽhousingʼ ˈhousingˈ",  # PostgreSQL's unaccent maps these letters to apostrophes
    "housing " * 400,
    "x" * 5000,
    "<!channel> <@UADMIN> *bold*",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_never_fail(bolt, db, fake, text):
    make_items(db, [("Housing co-ops grow", 1, "News", "bank", None)])
    response = bolt.command(f"search {text}")
    assert response.status_code == 200
    body = response.json()
    assert APOLOGY not in json.dumps(body)
    assert fake.calls_to("response_url") == []  # no apology sent afterwards either
    # What the user typed is echoed escaped: it cannot ping anyone.
    assert "<!channel>" not in json.dumps(body) and "<@UADMIN>" not in json.dumps(body)


def test_search_words_from_the_hostile_list_still_find(bolt, db):
    make_items(db, [("Housing co-ops grow", 1, "News", "bank", None)])
    # Operators are not operators: the words left around them are searched.
    for text in ("housing*", "-housing", "(housing)", '"housing', "housing' --", "^housing"):
        assert titles_in(search(bolt, text)) == ["Housing co-ops grow"], text


# -- paging -----------------------------------------------------------------------
def test_more_pages_through_search_results_in_place(slack, db, fake):
    make_items(db, [(f"Coop story {i}", i, "News", None, None) for i in range(25)])
    first = search(slack, "coop story")
    assert titles_in(first) == [f"Coop story {i}" for i in range(10)]
    value = more_value(first)
    assert value and len(value) < 2000
    second = click_more(slack, fake, value)
    assert second["replace_original"] is True
    assert titles_in(second) == [f"Coop story {i}" for i in range(10, 20)]
    assert "(11–20)" in second["blocks"][0]["text"]["text"]
    third = click_more(slack, fake, more_value(second))
    assert titles_in(third) == [f"Coop story {i}" for i in range(20, 25)]
    assert more_value(third) is None


def test_more_pages_through_latest_with_category(bolt, db, fake):
    seven_items(db)  # Story 1, 3, 5 are "News"
    first = bolt.command("latest 2 news").json()
    assert titles_in(first) == ["Story 1", "Story 3"]
    second = click_more(bolt, fake, more_value(first))
    assert second["replace_original"] is True
    assert titles_in(second) == ["Story 5"]
    assert second["blocks"][0]["text"]["text"] == "*Items 3–3 in News, newest first*"
    assert more_value(second) is None


def test_more_without_more_items_has_no_button(bolt, db):
    seven_items(db)
    assert more_value(bolt.command("latest 7").json()) is None
    assert more_value(bolt.command("latest 6").json()) is not None


def test_a_forged_more_value_changes_nothing(bolt, db, fake):
    seven_items(db)
    for value in ("not json", '{"k":"drop tables","o":1}', '{"k":"latest","o":-5,"n":3}', ""):
        answer = click_more(bolt, fake, value)
        assert answer["replace_original"] is False
        assert "nothing more" in answer["text"]


# -- categories ---------------------------------------------------------------------
def test_categories_with_counts(bolt, db):
    ids = make_items(
        db,
        [
            ("A", 1, "News", None, None),
            ("B", 2, "news", None, None),
            ("C", 3, "COOP Champions", None, None),
            ("D", 4, "Retracted only", None, None),
            ("E", 5, None, None, None),
            ("F", 6, "News", None, None),
        ],
    )
    with db.transaction() as session:
        session.execute(update(Item).where(Item.id == ids[3]).values(retracted_at=BASE))
    body = bolt.command("categories").json()
    assert body["response_type"] == "ephemeral"
    text = "\n".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    assert "*2 categories*" in text
    lines = [line for line in text.split("\n") if line.startswith("•")]
    assert lines[0] in ("• News: 3", "• news: 3")
    assert lines[1:] == ["• COOP Champions: 1", "• _no category_: 1"]
    assert "Retracted" not in text


def test_categories_on_an_empty_store(bolt, db):
    assert "No news yet" in bolt.command("categories").json()["text"]


def test_help_lists_search_and_categories(bolt, db):
    joined = json.dumps(bolt.command("help").json())
    assert "/coopnews search WORDS" in joined and "/coopnews categories" in joined


def test_a_new_search_runs_one_statement_per_group_and_the_featured_id(bolt, db, monkeypatch):
    """A search the answer cache has not seen (a miss): the title group's page, the rest's
    page (each reads the shown fields of its items with it: no fetch by id after), and the
    featured item's id. On PostgreSQL its words were folded before (kept per word) and
    the planner statistics are read (kept per process): nothing asked first."""
    from sqlalchemy import event

    from storage import search as search_module

    make_items(
        db,
        [
            ("New housing law", 10, "News", "Parliament votes", None),
            ("Bank news", 0, "News", "A law on housing in Geneva", None),
            ("Weather", 1, "News", "Rain", None),
        ],
    )
    if db.engine.dialect.name == "postgresql":
        # Statistics, as a served store has them (autovacuum), read afresh.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE items_search")
        monkeypatch.setattr(search_module, "_STATS", {})
    for word in ("housing", "law"):  # words seen before, in other searches
        assert titles_in(search(bolt, word))
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        body = search(bolt, "law housing")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert titles_in(body) == ["New housing law", "Bank news"]
    assert len(statements) <= 3, statements
