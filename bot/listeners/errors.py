"""The one error handler: apologise to the user, log the trace for us."""

from __future__ import annotations

import json
import logging

from slack_bolt import App, BoltResponse

from storage.db import describe_failure, is_store_failure

log = logging.getLogger("coopnews.errors")

APOLOGY = (
    "Sorry, something went wrong on our side and nothing was changed. "
    "Please try again in a minute; if it keeps happening, tell your coopnews admin."
)


def apology_for(error: Exception) -> str:
    """One line: what went wrong when it is the store (read-only, full, down), else APOLOGY."""
    if is_store_failure(error):
        return (
            f"Sorry, coopnews cannot do that right now: {describe_failure(error)}. "
            "Nothing was changed; please tell your coopnews admin."
        )
    return APOLOGY


def register(app: App) -> None:
    @app.error
    def handle_error(error: Exception, body: dict, respond, response: BoltResponse | None) -> None:
        log.error("unhandled error in a listener", exc_info=error)
        apology = apology_for(error)
        if response is not None and body.get("command"):
            # Not yet acknowledged: the apology is the slash command's own answer.
            response.status = 200
            response.body = json.dumps({"response_type": "ephemeral", "text": apology})
            response.headers["content-type"] = ["application/json;charset=utf-8"]
            return
        if body.get("response_url") or body.get("response_urls"):
            try:
                respond(text=apology, response_type="ephemeral", replace_original=False)
            except Exception:  # the apology itself failed: the log above has the cause
                log.warning("could not send the apology", exc_info=True)
