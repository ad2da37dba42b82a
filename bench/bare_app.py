"""The baseline for bench/search.py: a Bolt app that only acks `/coopnews`.

Served by gunicorn with the same config as the Procfile's web process, so
the difference between the two is what coopnews itself costs.
"""

from __future__ import annotations

import os

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def create_wsgi() -> SlackRequestHandler:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
    )

    @app.command("/coopnews")
    def ack_only(ack) -> None:
        ack()

    return SlackRequestHandler(app, path="/slack/events")
