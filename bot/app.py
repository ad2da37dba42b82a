"""The Bolt app, built from settings by a function (tests build it with theirs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from slack_bolt import App
from slack_bolt.error import BoltError

from bot.deps import Deps
from bot.listeners import register_listeners
from bot.prompt_ack import PromptAckExecutor, notify_on_ack
from bot.settings import SettingsError


def build_app(
    deps: Deps,
    token_verification: bool = True,
    listener_executor: Executor | None = None,
    signatures_checked_before: bool = False,
) -> App:
    """The app with every listener registered. `listener_executor` runs listeners (default:
    a pool of bot.prompt_ack.LISTENER_THREADS threads); tests give one they can wait on.
    Either way the request is answered as soon as its listener acks (bot.prompt_ack).

    `signatures_checked_before`: only for an app served inside bot.web.WebApp, which
    checks every request's signature and timestamp before Bolt sees it (and answers 401
    itself); Bolt's own check would be a second HMAC of the same body. Otherwise (tests
    dispatching to the app directly) Bolt checks, except in Socket Mode."""
    settings = deps.settings
    # App() checks the token with auth.test: a refusal or no answer is a setting to fix,
    # said in one line (SettingsError), not a traceback from Bolt or urllib.
    try:
        with _no_token_in_environment():
            app = App(
                client=deps.client,
                signing_secret=settings.signing_secret,
                # Socket Mode requests come over an authenticated WebSocket, not signed HTTP.
                request_verification_enabled=not (
                    settings.socket_mode or signatures_checked_before
                ),
                token_verification_enabled=token_verification,
                listener_executor=PromptAckExecutor(listener_executor),
            )
    except BoltError as exc:
        raise SettingsError(
            f"Slack refused SLACK_BOT_TOKEN ({exc}): copy the Bot User OAuth Token (xoxb-) "
            "from your app's OAuth & Permissions page (README: Create the Slack app)"
        ) from None
    except OSError as exc:  # urllib's URLError, timeouts
        raise SettingsError(
            f"cannot reach Slack's Web API at {settings.api_url} to check SLACK_BOT_TOKEN "
            f"({exc}); check SLACK_API_URL and the network"
        ) from None
    app.use(notify_on_ack)  # first: before any middleware that may ack
    register_listeners(app, deps)
    return app


@contextmanager
def _no_token_in_environment() -> Iterator[None]:
    """Hide SLACK_BOT_TOKEN while Bolt builds the App.

    Our client (SLACK_API_URL, the 429 retry handler) already carries the token, but
    App() also reads the variable and, finding both, logs "As you gave client as well,
    token will be unused" at every start (bolt-python#983), which reads like a
    misconfiguration. The App is built once per process, before any thread runs.
    """
    token = os.environ.pop("SLACK_BOT_TOKEN", None)
    try:
        yield
    finally:
        if token is not None:
            os.environ["SLACK_BOT_TOKEN"] = token
