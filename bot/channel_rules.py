"""A channel's rules, as typed after `/coopnews subscribe` or chosen in the form.

Pure: no Slack, no database. The slash command, the form's submission and
the "what changed" answer all go through `ChannelRules`:

    subscribe [categories…] [matching WORDS] [excluding WORDS] [from SOURCE-ID…]
              [format full|compact|headline] [previews on|off]
              [mention here|@handle] [thread daily]
              [digest daily HH:MM | digest weekly DAY HH:MM]

Categories come first (or right after a digest's time, as before); every
other clause starts with its keyword and may come in any order. WORDS run
until the next keyword and are read by domain/words.py (`parse_keywords`:
comma-separated words or "quoted phrases", folded like search). A word that
fits nowhere is an error naming it, and an error changes nothing. Checking
that sources exist and resolving `@handle` to a user group need the store
and Slack: the listener does that (bot/listeners/commands/subscriptions.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace

from bot.digest_schedule import DigestSchedule, ScheduleError, from_stored, parse_schedule
from bot.numbers import row_id
from domain.words import MAX_KEYWORDS_CHARS, MAX_TERMS, fits_a_rule, parse_keywords
from storage.categories import category_key, decode_choice
from storage.models import SubscriptionMode

FORMATS = ("full", "compact", "headline")
THREADS = ("daily",)
CLAUSES = ("matching", "excluding", "from", "format", "previews", "mention", "thread", "digest")
SYNTAX = (
    "`/coopnews subscribe [categories…] [matching WORDS] [excluding WORDS] [from SOURCE-ID…] "
    "[format full|compact|headline] [previews on|off] [mention here|@handle] [thread daily] "
    "[digest daily HH:MM | digest weekly DAY HH:MM]`"
)
# Form fields (block ids of the modal), also where a RuleError is shown.
FIELD_CATEGORIES = "rules_categories"
FIELD_MATCHING = "rules_matching"
FIELD_EXCLUDING = "rules_excluding"
FIELD_SOURCES = "rules_sources"
FIELD_FORMAT = "rules_format"
FIELD_DELIVERY = "rules_delivery"
FIELD_DIGEST_AT = "rules_digest_at"
FIELD_MENTION = "rules_mention"
FIELD_OPTIONS = "rules_options"

_TOKEN = re.compile(r'"[^"]*"|[^\s"]+')
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"'})
_HANDLE = re.compile(r"^@?([a-z0-9][a-z0-9._-]{0,79})$", re.IGNORECASE)
_SUBTEAM = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>$")


class RuleError(ValueError):
    """The rules as typed or chosen cannot be understood; `field` is the form's block."""

    def __init__(self, message: str, field: str = FIELD_CATEGORIES) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Mention:
    """`here`, or a user group: its ID once resolved (usergroups.list), and its handle."""

    group_id: str | None = None
    handle: str | None = None

    @property
    def here(self) -> bool:
        return self.group_id is None and self.handle is None

    @property
    def resolved(self) -> bool:
        return self.here or self.group_id is not None

    @property
    def markup(self) -> str:
        """Slack's mention markup, built by us (never from item text)."""
        return "<!here>" if self.here else f"<!subteam^{self.group_id}>"

    @property
    def text(self) -> str:
        return "@here" if self.here else f"@{self.handle or self.group_id}"

    @property
    def stored(self) -> str:
        """subscriptions.mention: "here" or "subteam:ID:handle"."""
        return "here" if self.here else f"subteam:{self.group_id}:{self.handle or ''}"


def mention_from_stored(stored: str | None) -> Mention | None:
    if not stored:
        return None
    if stored == "here":
        return Mention()
    _, group_id, handle = (stored.split(":", 2) + ["", ""])[:3]
    return Mention(group_id or None, handle or None)


def parse_mention(text: str) -> Mention:
    """`here`, `@here`, `<!here>`, `@handle` (unresolved), `<!subteam^ID|@handle>`."""
    text = text.strip()
    if text.lower() in ("here", "@here", "<!here>", "<!here|here>", "<!here|@here>"):
        return Mention()
    raw = _SUBTEAM.match(text)
    if raw:
        return Mention(raw.group(1), (raw.group(2) or "").strip() or None)
    handle = _HANDLE.match(text)
    if handle:
        return Mention(None, handle.group(1))
    raise RuleError(
        f"`mention` takes `here` or a user group's `@handle`; I cannot read `{text}`.",
        FIELD_MENTION,
    )


@dataclass(frozen=True)
class ChannelRules:
    """What a channel gets and how. Empty categories/sources/keywords mean "all"."""

    categories: tuple[str, ...] = ()
    matching: str = ""  # Keywords.text ("" = no rule)
    excluding: str = ""
    sources: tuple[int, ...] = ()
    format: str = "full"
    previews: bool = False
    mention: Mention | None = None
    thread: str | None = None  # "daily"
    schedule: DigestSchedule | None = None

    @property
    def mode(self) -> str:
        return SubscriptionMode.INSTANT if self.schedule is None else self.schedule.mode

    def same_categories(self, other: ChannelRules) -> bool:
        return {category_key(c) for c in self.categories} == {
            category_key(c) for c in other.categories
        }


def keywords_text(text: str | Iterable[str]) -> str:
    """A keyword rule as it is stored and shown (domain/words.py's reading)."""
    return parse_keywords(text).text


def checked_keywords(text: str, word: str, field: str) -> str:
    """keywords_text of what was typed after `word`, or RuleError when the rule could
    not hold it all (domain/words.py keeps MAX_TERMS terms in MAX_KEYWORDS_CHARS)."""
    if not fits_a_rule(text):
        raise RuleError(
            f"`{word}` takes at most {MAX_TERMS} words or \"phrases\", in at most "
            f"{MAX_KEYWORDS_CHARS:,} characters. Nothing was changed.",
            field,
        )
    return keywords_text(text)


def rules_of(sub) -> ChannelRules:
    """The rules a stored subscription (storage.models.Subscription) holds."""
    return rules_from(decode_choice(sub.categories), sub.mode, sub.schedule, sub)


def rules_from(categories: Sequence[str], mode: str, schedule: str | None, columns) -> ChannelRules:
    """Rules from their stored pieces; `columns` has the 0012 rule columns as attributes
    (a Subscription, or storage.subscriptions.RuleColumns)."""
    digest = None
    if mode != SubscriptionMode.INSTANT and schedule:
        digest = from_stored(mode, schedule)
    try:
        sources = parse_source_ids(columns.source_ids or "")
    except RuleError:
        sources = ()
    return ChannelRules(
        categories=tuple(categories),
        matching=columns.matching or "",
        excluding=columns.excluding or "",
        sources=sources,
        format=columns.format or "full",
        previews=bool(columns.previews),
        mention=mention_from_stored(columns.mention),
        thread=columns.thread,
        schedule=digest,
    )


def parse_source_ids(text: str) -> tuple[int, ...]:
    """`3, 7 12` -> (3, 7, 12); anything else is a RuleError naming it."""
    ids: list[int] = []
    for piece in re.split(r"[\s,]+", text.strip()):
        if not piece:
            continue
        if not piece.isdigit() or len(piece) > 12:
            raise RuleError(
                f"`from` takes source IDs (numbers, see `/coopnews sources`); `{piece}` is not one.",
                FIELD_SOURCES,
            )
        number = row_id(piece)
        if number is None:  # 0, or beyond any row (PostgreSQL's integer): no such source
            raise RuleError(
                f"No source has the ID {piece}: see `/coopnews sources`. Nothing was changed.",
                FIELD_SOURCES,
            )
        if number not in ids:
            ids.append(number)
    return tuple(ids)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall((text or "").translate(_SMART_QUOTES))


def _is_clause(token: str) -> bool:
    return token.lower() in CLAUSES


def parse_rules(text: str, known: Collection[str]) -> ChannelRules:
    """The rules typed after `subscribe`; RuleError (or ScheduleError) says what is wrong.

    `known`: category keys the store knows, to read "News COOP Champions" as two.
    """
    tokens = _tokens(text)
    category_tokens: list[str] = []
    values: dict[str, object] = {}
    seen: set[str] = set()
    categories_open = True
    i = 0
    while i < len(tokens):
        token = tokens[i]
        word = token.lower()
        if not _is_clause(token):
            if not categories_open:
                raise RuleError(
                    f"I don't understand `{token}` here. Categories come first; then: {SYNTAX}"
                )
            category_tokens.append(token)
            i += 1
            continue
        if word in seen:
            raise RuleError(f"`{word}` is given twice; say it once. {SYNTAX}")
        seen.add(word)
        i += 1
        if word == "digest":
            rest = tokens[i:]
            schedule, left = parse_schedule(rest)
            values["schedule"] = schedule
            i += len(rest) - len(left)
            continue  # categories may follow a digest's time, as before
        categories_open = False
        start = i
        while i < len(tokens) and not _is_clause(tokens[i]):
            i += 1
        args = tokens[start:i]
        if word in ("matching", "excluding"):
            rule = checked_keywords(
                " ".join(args), word, FIELD_MATCHING if word == "matching" else FIELD_EXCLUDING
            )
            if not rule:
                raise RuleError(
                    f'`{word}` needs words: `{word} housing, "fair trade"`.',
                    FIELD_MATCHING if word == "matching" else FIELD_EXCLUDING,
                )
            values[word] = rule
        elif word == "from":
            ids = parse_source_ids(" ".join(args))
            if not ids:
                raise RuleError("`from` needs source IDs: `from 3 7`.", FIELD_SOURCES)
            values["sources"] = ids
        else:
            if not args:
                raise RuleError(f"`{word}` needs a value. {SYNTAX}", _field_of(word))
            if len(args) > 1:
                raise RuleError(
                    f"I don't understand `{args[1]}` after `{word} {args[0]}`. {SYNTAX}",
                    _field_of(word),
                )
            values.update(_single(word, args[0]))
    return ChannelRules(categories=tuple(read_categories(category_tokens, known)), **values)


def _field_of(word: str) -> str:
    return {
        "format": FIELD_FORMAT,
        "previews": FIELD_OPTIONS,
        "mention": FIELD_MENTION,
        "thread": FIELD_OPTIONS,
    }.get(word, FIELD_CATEGORIES)


def _single(word: str, value: str) -> dict[str, object]:
    lowered = value.lower()
    if word == "format":
        if lowered not in FORMATS:
            raise RuleError(
                f"`format {value}`: a format is `full`, `compact` or `headline`.", FIELD_FORMAT
            )
        return {"format": lowered}
    if word == "previews":
        if lowered not in ("on", "off"):
            raise RuleError(
                f"`previews {value}`: say `previews on` or `previews off`.", FIELD_OPTIONS
            )
        return {"previews": lowered == "on"}
    if word == "thread":
        if lowered not in THREADS:
            raise RuleError(f"`thread {value}`: the only thread is `thread daily`.", FIELD_OPTIONS)
        return {"thread": lowered}
    return {"mention": parse_mention(value)}


def read_categories(tokens: Sequence[str], known: Collection[str]) -> list[str]:
    """Category words as typed: commas or quotes group words; otherwise the longest
    run of words that names a known category is one ("News COOP Champions" is News
    and COOP Champions), and unknown words run together."""
    if any("," in t for t in tokens):
        text = " ".join(tokens)
        return [
            c.strip().strip('"').strip() for c in text.split(",") if c.strip().strip('"').strip()
        ]
    found: list[str] = []
    run: list[str] = []
    for token in tokens:
        if token.startswith('"'):
            found += split_categories(run, known)
            run = []
            name = token.strip('"').strip()
            if name:
                found.append(name)
        else:
            run.append(token)
    return found + split_categories(run, known)


def split_categories(words: list[str], known: Collection[str]) -> list[str]:
    found: list[str] = []
    unknown: list[str] = []
    # No known name is longer than this many words: trying longer runs is wasted (and,
    # for a 4,000-character command of short words, takes seconds past Slack's 3).
    longest = max((len(key.split()) for key in known), default=0)
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + longest), i, -1):
            candidate = " ".join(words[i:j])
            if category_key(candidate) in known:
                if unknown:
                    found.append(" ".join(unknown))
                    unknown = []
                found.append(candidate)
                i = j
                break
        else:
            unknown.append(words[i])
            i += 1
    if unknown:
        found.append(" ".join(unknown))
    return found


@dataclass(frozen=True)
class FormChoice:
    """What the form's fields hold, as Slack sends them back (bot/blocks/rules_form.py)."""

    categories: Sequence[str] = ()
    matching: str = ""
    excluding: str = ""
    sources: Sequence[str] = ()
    format: str = "full"
    delivery: str = "instant"  # instant | daily | weekly
    digest_at: str = ""  # "09:00" or "mon 09:00"
    mention: str = ""
    options: Collection[str] = field(default_factory=tuple)  # "thread", "previews"


def rules_from_form(choice: FormChoice) -> ChannelRules:
    """The form's choices read by the same rules as typed text; RuleError names the field."""
    schedule = None
    if choice.delivery in (SubscriptionMode.DAILY, SubscriptionMode.WEEKLY):
        words = [choice.delivery, *choice.digest_at.split()]
        try:
            schedule, left = parse_schedule(words)
        except ScheduleError as exc:
            raise RuleError(str(exc), FIELD_DIGEST_AT) from exc
        if left:
            raise RuleError(
                f"I don't understand `{left[0]}` in the digest's time.", FIELD_DIGEST_AT
            )
    if choice.format not in FORMATS:
        raise RuleError("Choose a format.", FIELD_FORMAT)
    sources: tuple[int, ...] = ()
    for value in choice.sources:
        sources += tuple(i for i in parse_source_ids(value) if i not in sources)
    rules = ChannelRules(
        categories=tuple(c for c in choice.categories if c.strip()),
        matching=checked_keywords(choice.matching or "", "matching", FIELD_MATCHING),
        excluding=checked_keywords(choice.excluding or "", "excluding", FIELD_EXCLUDING),
        sources=sources,
        format=choice.format,
        previews="previews" in choice.options,
        mention=parse_mention(choice.mention) if choice.mention.strip() else None,
        thread="daily" if "thread" in choice.options else None,
        schedule=schedule,
    )
    return rules


def with_mention(rules: ChannelRules, mention: Mention | None) -> ChannelRules:
    return replace(rules, mention=mention)


# -- what changed -------------------------------------------------------------------
CHANGE_LABELS = {
    "categories": "categories",
    "matching": "matching",
    "excluding": "excluding",
    "sources": "sources",
    "format": "format",
    "previews": "link previews",
    "mention": "mention",
    "thread": "daily thread",
    "schedule": "delivery",
}


def changed(old: ChannelRules | None, new: ChannelRules) -> list[str]:
    """Names of the rules that differ (CHANGE_LABELS keys), in a fixed order."""
    if old is None:
        return []
    names = []
    for name in CHANGE_LABELS:
        if name == "categories":
            if not old.same_categories(new):
                names.append(name)
        elif name == "mention":
            if (old.mention.stored if old.mention else None) != (
                new.mention.stored if new.mention else None
            ):
                names.append(name)
        elif getattr(old, name) != getattr(new, name):
            names.append(name)
    return names
