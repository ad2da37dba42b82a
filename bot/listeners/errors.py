"""The one error handler: apologise to the user, log the trace for us."""

from __future__ import annotations

import json
import logging

from slack_bolt import App, BoltResponse

log = logging.getLogger("coopnews.errors")

APOLOGY = (
    "Sorry, something went wrong on our side and nothing was changed. "
    "Please try again in a minute; if it keeps happening, tell your coopnews admin."
)


def register(app: App) -> None:
    @app.error
    def handle_error(error: Exception, body: dict, respond, response: BoltResponse | None) -> None:
        log.error("unhandled error in a listener", exc_info=error)
        if response is not None and body.get("command"):
            # Not yet acknowledged: the apology is the slash command's own answer.
            response.status = 200
            response.body = json.dumps({"response_type": "ephemeral", "text": APOLOGY})
            response.headers["content-type"] = ["application/json;charset=utf-8"]
            return
        if body.get("response_url") or body.get("response_urls"):
            try:
                respond(text=APOLOGY, response_type="ephemeral", replace_original=False)
            except Exception:  # the apology itself failed: the log above has the cause
                log.warning("could not send the apology", exc_info=True)
