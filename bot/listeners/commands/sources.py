"""`/coopnews sources [list | add URL [category] | poll ID | remove ID | pause ID | resume ID | interval ID MINUTES]`.

Anyone may list; every other action is an admin's (the router checks, see
READ_ACTIONS). `add` acks at
once (after a syntax check of the URL), then reads the source within a short
timeout and answers through the response_url: the source is stored only if
it reads, so a typo never leaves a broken source behind.
"""

from __future__ import annotations

from dataclasses import replace

from bot.blocks.items import notice_message
from bot.blocks.sources import added_message, every, source_name, sources_list_message
from bot.blocks.text import escape
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from bot.listeners.commands.sources_paste import add_pasted, pasted_urls
from bot.numbers import looks_numeric, row_id, whole_number
from sources.fetch import FetchOptions
from sources.poller import SourceProblem, poll_now, subscribe, validate_url
from storage import sources as source_store
from storage.types import utcnow

# A week: slower than that, pause the source instead.
MAX_INTERVAL_MINUTES = 7 * 24 * 60

# Reading a new source while the admin waits for the answer (after the ack).
ADD_TIMEOUT = 15.0
USAGE = (
    "sources [add URL [category] | poll ID | remove ID | pause ID | resume ID | "
    "interval ID MINUTES]"
)
ADMIN_USAGE = (
    "sources add URL [category] | poll ID | remove ID | pause ID | resume ID | "
    "interval ID MINUTES"
)


def fetch_options(call: CommandCall, timeout: float | None = None) -> FetchOptions:
    options = FetchOptions(allow_private=call.deps.settings.allow_private_sources)
    return replace(options, timeout=timeout) if timeout else options


def show_sources(call: CommandCall) -> None:
    with call.deps.db.reading() as session:
        rows = source_store.list_sources(session)
        notes = source_store.latest_notes(session, [row.source.id for row in rows])
    call.reply(sources_list_message([(row.source, row.item_count) for row in rows], notes))


def add_source(call: CommandCall) -> None:
    if urls := pasted_urls(call.args[1:]):  # several URLs pasted, one per line
        add_pasted(call, urls)
        return
    if len(call.args) < 2:
        call.reply(notice_message("Usage: `/coopnews sources add URL [category]`"))
        return
    try:
        url = validate_url(call.args[1])
    except SourceProblem as exc:
        call.reply(notice_message(f"Not added: {escape(str(exc))}"))
        return
    category = " ".join(call.args[2:]).strip() or None
    with call.deps.db.reading() as session:
        existing = source_store.find_by_url(session, url)
    if existing is not None:
        call.reply(
            notice_message(f"{source_name(existing)} is already followed (source {existing.id}).")
        )
        return
    call.reply(notice_message(f"Reading {escape(url)}… I'll answer here in a moment."))
    try:
        done = subscribe(
            call.deps.db,
            url,
            fetch_options(call, ADD_TIMEOUT),
            category=category,
            created_by=call.user_id,
        )
    except SourceProblem as exc:
        answer = notice_message(f"Not added: {escape(str(exc))}")
    else:
        answer = notice_message(added_message(done.source, done.added, done.already_present))
    call.respond(response_type="ephemeral", replace_original=False, **answer)


def _source_id(call: CommandCall, verb: str) -> int | None:
    raw = call.args[1].lstrip("#") if len(call.args) > 1 else ""
    if looks_numeric(raw) and row_id(raw) is None:
        call.reply(
            notice_message(f"There is no source {escape(raw[:30])}: see `/coopnews sources list`.")
        )
        return None
    if row_id(raw) is None:
        call.reply(
            notice_message(
                f"Usage: `/coopnews sources {verb} ID` (the number in `/coopnews sources list`)"
            )
        )
        return None
    return row_id(raw)


def _not_found(call: CommandCall, source_id: int) -> None:
    call.reply(notice_message(f"There is no source {source_id}: see `/coopnews sources list`."))


def poll_source_now(call: CommandCall) -> None:
    """Poll one source at once, due or not (after an admin fixed its feed, say).

    Acks at once, then answers through the response_url with what the poll did:
    added / already present, the failure's reason, or until when a Retry-After holds.
    """
    source_id = _source_id(call, "poll")
    if source_id is None:
        return
    with call.deps.db.reading() as session:
        source = source_store.get_source(session, source_id)
    if source is None:
        _not_found(call, source_id)
        return
    call.reply(notice_message(f"Polling {source_name(source)} (source {source_id})…"))
    (outcome,) = poll_now(call.deps.db, [source_id], fetch_options(call, ADD_TIMEOUT)) or [None]
    if outcome is None:  # removed meanwhile
        text = f"Source {source_id} was removed meanwhile."
    else:
        text = f"{source_name(source)} (source {source_id}): {escape(outcome.line())}"
    call.respond(response_type="ephemeral", replace_original=False, **notice_message(text))


def remove_source(call: CommandCall) -> None:
    source_id = _source_id(call, "remove")
    if source_id is None:
        return
    with call.deps.db.transaction() as session:
        source = source_store.remove_source(session, source_id)
    if source is None:
        _not_found(call, source_id)
        return
    call.reply(
        notice_message(
            f"Stopped following {source_name(source)} (source {source_id}). "
            "Its items stay searchable."
        )
    )


def pause_or_resume(call: CommandCall, paused: bool) -> None:
    verb = "pause" if paused else "resume"
    source_id = _source_id(call, verb)
    if source_id is None:
        return
    with call.deps.db.transaction() as session:
        source = source_store.set_paused(session, source_id, paused, utcnow())
    if source is None:
        _not_found(call, source_id)
        return
    if paused:
        text = (
            f"Paused {source_name(source)} (source {source_id}): it is not checked until resumed."
        )
    else:
        text = f"Resumed {source_name(source)} (source {source_id}): it is checked again shortly."
    call.reply(notice_message(text))


def set_interval(call: CommandCall) -> None:
    source_id = _source_id(call, "interval")
    if source_id is None:
        return
    minutes = whole_number(call.args[2] if len(call.args) > 2 else "")
    minimum = source_store.MIN_INTERVAL // 60
    if minutes is None or not minimum <= minutes <= MAX_INTERVAL_MINUTES:
        call.reply(
            notice_message(
                f"Usage: `/coopnews sources interval ID MINUTES` "
                f"(at least {minimum} minutes, at most {MAX_INTERVAL_MINUTES:,})"
            )
        )
        return
    with call.deps.db.transaction() as session:
        source = source_store.set_interval(session, source_id, minutes * 60, utcnow())
    if source is None:
        _not_found(call, source_id)
        return
    call.reply(
        notice_message(
            f"{source_name(source)} (source {source_id}) is now checked "
            f"{every(source.interval_seconds)}."
        )
    )


ACTIONS = {
    "": show_sources,
    "list": show_sources,
    "ls": show_sources,
    "add": add_source,
    "poll": poll_source_now,
    "remove": remove_source,
    "rm": remove_source,
    "delete": remove_source,
    "pause": lambda call: pause_or_resume(call, True),
    "resume": lambda call: pause_or_resume(call, False),
    "interval": set_interval,
}
# What members may do; every other action in ACTIONS (a new one too) is for admins.
READ_ACTIONS = frozenset({"", "list", "ls"})


def run_sources(call: CommandCall) -> None:
    action = call.args[0].lower() if call.args else ""
    handler = ACTIONS.get(action)
    if handler is None:
        call.reply(
            notice_message(f"I don't know `sources {escape(action)}`. Usage: `/coopnews {USAGE}`")
        )
        return
    handler(call)


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "sources",
            "sources",
            "the feeds coopnews follows, with their health",
            run_sources,
            aliases=("source",),
            verbs=frozenset(ACTIONS),
            admin_verbs=frozenset(ACTIONS) - READ_ACTIONS,
            admin_usage=ADMIN_USAGE,
            admin_summary="follow a feed, stop following it, pause, resume, or check it less often",
        )
    )
