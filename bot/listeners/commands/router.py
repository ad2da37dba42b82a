"""`/coopnews <subcommand> ...`: one slash command, a table of subcommands.

Rights are checked here, once, before any handler runs: a subcommand marked
`admin_only`, or one of its `admin_verbs` (`sources add`), answers a member
with bot.admins.REFUSAL and does nothing else. Handlers never check rights.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt import Ack, BoltRequest, BoltResponse, Respond
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from bot.admins import REFUSAL
from bot.blocks.items import notice_message
from bot.deps import Deps
from bot.prompt_ack import ack_json, run_inline
from bot.slack_text import MAX_COMMAND_CHARS, decode_command_text


@dataclass
class CommandCall:
    """One invocation, parsed: what every subcommand handler receives."""

    name: str
    args: list[str]
    text: str  # everything after the subcommand, as typed (Slack's encoding undone)
    user_id: str
    channel_id: str
    trigger_id: str | None
    body: dict
    ack: Ack
    respond: Respond
    client: WebClient
    deps: Deps

    def reply(self, message: dict) -> None:
        """Answer only the person who typed the command, in the HTTP response."""
        self.ack(response_type="ephemeral", **message)

    def reply_json(self, message_json: str | None) -> None:
        """`reply` for a message already encoded as a JSON object (an answer-cache entry,
        bot/answer_cache.AnswerCache.message_json): sent as that text with
        `"response_type":"ephemeral"` put first, never decoded and encoded again. The
        body decodes to what `reply` sends for the same message (text and blocks)."""
        if not message_json or not message_json.startswith("{") or message_json == "{}":
            raise ValueError(f"not a message: {message_json[:40] if message_json else None!r}")
        ack_json(self.ack, '{"response_type":"ephemeral",' + message_json[1:])

    def is_admin(self) -> bool:
        return self.deps.admins.is_admin(self.user_id)


Handler = Callable[[CommandCall], None]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    handler: Handler
    admin_only: bool = False
    aliases: tuple[str, ...] = ()
    # The first words after the name it knows (`sources list`, `sources add`), those
    # that make it an admin's write, and how help shows them to admins.
    verbs: frozenset[str] = frozenset()
    admin_verbs: frozenset[str] = frozenset()
    admin_usage: str = ""
    admin_summary: str = ""
    # Its handler's last act is its reply (nothing runs after the answer), so it runs in
    # the request thread instead of Bolt's pool (bot.prompt_ack.run_inline).
    quick: bool = False

    def needs_admin(self, args: list[str]) -> bool:
        return self.admin_only or bool(args and args[0].lower() in self.admin_verbs)


@dataclass
class CommandRouter:
    deps: Deps
    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    _order: list[Subcommand] = field(default_factory=list)

    def add(self, subcommand: Subcommand) -> None:
        for name in (subcommand.name, *subcommand.aliases):
            if name in self.subcommands:
                raise ValueError(f"subcommand {name!r} registered twice")
            self.subcommands[name] = subcommand
        self._order.append(subcommand)

    @property
    def listed(self) -> list[Subcommand]:
        return list(self._order)

    @property
    def run_quick_inline(self) -> Middleware:
        """Listener middleware: a `quick` subcommand (and help, for an empty or unknown
        one) runs in the request thread. Only the thread depends on this guess from the
        first word as sent; the router parses the text itself, as always."""
        return _QuickInline(self)

    def __call__(self, ack: Ack, respond: Respond, command: dict, client: WebClient) -> None:
        raw = command.get("text") or ""
        if len(raw) > MAX_COMMAND_CHARS:
            # Slack never sends this much: refused before any parsing or query.
            ack(
                response_type="ephemeral",
                **notice_message(
                    f"Sorry, that command is {len(raw):,} characters long; "
                    f"coopnews reads at most {MAX_COMMAND_CHARS:,}."
                ),
            )
            return
        # Slack's escaping and <…> forms are undone here, once, for every subcommand.
        typed = decode_command_text(raw).strip()
        words = split_words(typed)
        name = words[0].lower() if words else ""
        text = typed[len(words[0]) :].strip() if words and typed.startswith(words[0]) else ""
        if words and not text and len(words) > 1:
            text = " ".join(words[1:])
        call = CommandCall(
            name=name,
            args=words[1:],
            text=text,
            user_id=command.get("user_id", ""),
            channel_id=command.get("channel_id", ""),
            trigger_id=command.get("trigger_id"),
            body=command,
            ack=ack,
            respond=respond,
            client=client,
            deps=self.deps,
        )
        subcommand = self.subcommands.get(name) or self.subcommands["help"]
        if subcommand.needs_admin(call.args) and not call.is_admin():
            call.reply(notice_message(REFUSAL))
            return
        subcommand.handler(call)


class _QuickInline(Middleware):
    """CommandRouter.run_quick_inline (a Middleware subclass: Bolt builds a function
    middleware's arguments by name for every request)."""

    def __init__(self, router: CommandRouter) -> None:
        self.subcommands = router.subcommands

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        words = (req.body.get("text") or "").split(None, 1)
        name = words[0].lower() if words else ""
        subcommand = self.subcommands.get(name) or self.subcommands.get("help")
        if subcommand is not None and subcommand.quick:
            run_inline()
        return next()


# What shlex.split treats specially in POSIX mode (quotes, escape); without any, it
# splits on its whitespace alone (shlex.shlex().whitespace), as _SHELL_WORD does.
_SHELL_SPECIAL = frozenset("'\"\\\u201c\u201d")
_SHELL_WORD = re.compile(r"[^ \t\r\n]+")


def split_words(text: str) -> list[str]:
    """Split like a shell (quotes group words) but never fail on a stray quote.

    Text with no quote or backslash (most commands) is split on shlex's whitespace
    (space, tab, CR, LF) directly: the same words, without shlex's per-character loop."""
    if _SHELL_SPECIAL.isdisjoint(text):
        return _SHELL_WORD.findall(text)
    text = text.replace("\u201c", '"').replace("\u201d", '"')  # Slack's smart quotes
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()
