"""The baseline: a Bolt app that only acks `/coopnews` (and publishes a one-block App Home),
served like coopnews itself, with the same ack hand-off (bot.prompt_ack).

BENCH_BARE_POLL=1 builds it with Bolt's defaults instead (the request thread polls for
ack() every 10 ms): the baseline before bot.prompt_ack, for comparing the two.
"""

from __future__ import annotations

import os

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.prompt_ack import PromptAckExecutor, notify_on_ack


def create_wsgi() -> SlackRequestHandler:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    polling = os.environ.get("BENCH_BARE_POLL") == "1"
    app = App(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        listener_executor=None if polling else PromptAckExecutor(),
    )
    if not polling:
        app.use(notify_on_ack)

    @app.command("/coopnews")
    def only_ack(ack) -> None:
        ack(response_type="ephemeral", text="ok")

    @app.event("app_home_opened")
    def publish_one_block(event: dict, client: WebClient) -> None:
        block = {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [block]})

    return SlackRequestHandler(app, path="/slack/events")
