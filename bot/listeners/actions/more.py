"""The "More" button: the next page of `latest` or `search`, in place."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from bot.blocks.paging import MORE_ACTION, read_page
from bot.blocks.search import no_more_message
from bot.deps import Deps
from bot.paging import next_page


def register(app: App, deps: Deps) -> None:
    @app.action(MORE_ACTION)
    def show_more(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        user_id = (body.get("user") or {}).get("id", "")
        page = read_page(action.get("value"))
        message = next_page(deps, user_id, page) if page else None
        if message is None:
            # Items retracted since, or a forged value: say so, keep what is shown.
            respond(replace_original=False, response_type="ephemeral", **no_more_message())
            return
        respond(replace_original=True, **message)
