"""The baseline: a Bolt app that only acks `/coopnews` (and publishes a one-block App Home),
served like coopnews itself."""

from __future__ import annotations

import os

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def create_wsgi() -> SlackRequestHandler:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @app.command("/coopnews")
    def only_ack(ack) -> None:
        ack(response_type="ephemeral", text="ok")

    @app.event("app_home_opened")
    def publish_one_block(event: dict, client: WebClient) -> None:
        block = {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [block]})

    return SlackRequestHandler(app, path="/slack/events")
