"""The channel rules form: a modal with the choices of `/coopnews subscribe …`.

Pure: the view from a channel's current rules and the known categories and
sources, and the submitted values read back into a FormChoice (then read by
bot/channel_rules.py like typed text). Shapes from Slack's "Reference:
blocks" and "Reference: block elements" (multi_static_select, static_select,
plain_text_input, checkboxes; 100 options at most, option text 75).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.kit import section
from bot.channel_rules import (
    FIELD_CATEGORIES,
    FIELD_DELIVERY,
    FIELD_DIGEST_AT,
    FIELD_EXCLUDING,
    FIELD_FORMAT,
    FIELD_MATCHING,
    FIELD_MENTION,
    FIELD_OPTIONS,
    FIELD_SOURCES,
    ChannelRules,
    FormChoice,
)
from domain.text import remove_control_characters, shorten

RULES_FORM = "subscription_rules"
ACTION = "value"  # every input's element has this action_id
MAX_OPTIONS = 100
OPTION_TEXT_MAX = 75
FORMATS = [
    ("full", "Full: title, summary, date, category"),
    ("compact", "Compact: one line"),
    ("headline", "Headline: linked title only"),
]
DELIVERIES = [("instant", "As they arrive"), ("daily", "Daily digest"), ("weekly", "Weekly digest")]
OPTIONS = [
    ("thread", "In a daily thread (one message a day, items as replies)"),
    ("previews", "Link previews (unfurls)"),
]


def _text(value: str) -> dict:
    return {"type": "plain_text", "text": value}


def _option(value: str, label: str) -> dict:
    shown = shorten(label, OPTION_TEXT_MAX).strip() or shorten(value, OPTION_TEXT_MAX).strip()
    return {"text": _text(shown or "(no name)"), "value": value[:150]}


def _input(
    block_id: str, label: str, element: dict, *, optional: bool = True, hint: str = ""
) -> dict:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": _text(label),
        "element": {**element, "action_id": ACTION},
        "optional": optional,
    }
    if hint:
        block["hint"] = _text(hint)
    return block


def _text_input(initial: str, placeholder: str, max_length: int = 1000) -> dict:
    element = {
        "type": "plain_text_input",
        "placeholder": _text(placeholder),
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial
    return element


def rules_form_view(
    channel_id: str,
    rules: ChannelRules,
    categories: Sequence[str],
    sources: Sequence[tuple[int, str]],
) -> dict:
    """The form, pre-filled with `rules`; `categories` as items spell them, `sources`
    as (id, title). The channel rides in private_metadata."""
    chosen = list(rules.categories)
    names = list(dict.fromkeys([*chosen, *categories]))[:MAX_OPTIONS]
    blocks: list[dict] = [
        section(
            f"Rules for <#{channel_id}>. Empty fields mean everything; saving replaces the "
            "channel's rules and applies to items arriving from now on."
        )
    ]
    if names:
        element = {
            "type": "multi_static_select",
            "placeholder": _text("All categories"),
            "options": [_option(n, n) for n in names],
        }
        initial = [_option(n, n) for n in chosen if n in names]
        if initial:
            element["initial_options"] = initial
        blocks.append(_input(FIELD_CATEGORIES, "Categories", element))
    blocks.append(
        _input(
            FIELD_MATCHING,
            "Matching any of these words",
            _text_input(rules.matching, 'housing, "fair trade"'),
            hint='Comma-separated words or "quoted phrases", found in the title or summary '
            "as search finds them.",
        )
    )
    blocks.append(
        _input(
            FIELD_EXCLUDING, "Excluding items with any of", _text_input(rules.excluding, "layoffs")
        )
    )
    if sources:
        shown = list(sources)[:MAX_OPTIONS]
        element = {
            "type": "multi_static_select",
            "placeholder": _text("All sources"),
            "options": [_option(str(i), f"{i}: {title}") for i, title in shown],
        }
        initial = [_option(str(i), f"{i}: {title}") for i, title in shown if i in rules.sources]
        if initial:
            element["initial_options"] = initial
        blocks.append(_input(FIELD_SOURCES, "Only from these sources", element))
    formats = [_option(v, label) for v, label in FORMATS]
    blocks.append(
        _input(
            FIELD_FORMAT,
            "Format",
            {
                "type": "static_select",
                "options": formats,
                "initial_option": next(o for o in formats if o["value"] == rules.format),
            },
            optional=False,
        )
    )
    deliveries = [_option(v, label) for v, label in DELIVERIES]
    blocks.append(
        _input(
            FIELD_DELIVERY,
            "Delivery",
            {
                "type": "static_select",
                "options": deliveries,
                "initial_option": next(o for o in deliveries if o["value"] == rules.mode),
            },
            optional=False,
        )
    )
    blocks.append(
        _input(
            FIELD_DIGEST_AT,
            "Digest time",
            _text_input(rules.schedule.stored if rules.schedule else "", "09:00, or mon 09:00", 20),
            hint="For a digest: HH:MM daily, DAY HH:MM weekly, in your Slack time zone.",
        )
    )
    blocks.append(
        _input(
            FIELD_MENTION,
            "Mention",
            _text_input(rules.mention.text if rules.mention else "", "here, or @handle", 100),
            hint="Added to matching announcements at most once an hour.",
        )
    )
    options = [_option(v, label) for v, label in OPTIONS]
    element = {"type": "checkboxes", "options": options}
    initial = [
        o
        for o in options
        if (o["value"] == "thread" and rules.thread)
        or (o["value"] == "previews" and rules.previews)
    ]
    if initial:
        element["initial_options"] = initial
    blocks.append(_input(FIELD_OPTIONS, "Options", element))
    return {
        "type": "modal",
        "callback_id": RULES_FORM,
        "private_metadata": channel_id,
        "title": _text("Channel rules"),
        "submit": _text("Save"),
        "close": _text("Cancel"),
        "blocks": blocks,
    }


def read_choice(values: dict) -> FormChoice:
    """view.state.values -> FormChoice (missing or odd shapes read as empty; control
    characters removed, as from a command's text: a forged NUL cannot reach the store)."""

    def element(block_id: str) -> dict:
        block = values.get(block_id) if isinstance(values, dict) else None
        found = block.get(ACTION) if isinstance(block, dict) else None
        return found if isinstance(found, dict) else {}

    def text(block_id: str) -> str:
        value = element(block_id).get("value")
        return remove_control_characters(value) if isinstance(value, str) else ""

    def selected(block_id: str) -> list[str]:
        options = element(block_id).get("selected_options") or []
        return [
            remove_control_characters(o["value"])
            for o in options
            if isinstance(o, dict) and isinstance(o.get("value"), str)
        ]

    def one(block_id: str, default: str) -> str:
        option = element(block_id).get("selected_option")
        value = option.get("value") if isinstance(option, dict) else None
        return remove_control_characters(value) if isinstance(value, str) else default

    return FormChoice(
        categories=selected(FIELD_CATEGORIES),
        matching=text(FIELD_MATCHING),
        excluding=text(FIELD_EXCLUDING),
        sources=selected(FIELD_SOURCES),
        format=one(FIELD_FORMAT, "full"),
        delivery=one(FIELD_DELIVERY, "instant"),
        digest_at=text(FIELD_DIGEST_AT),
        mention=text(FIELD_MENTION),
        options=tuple(selected(FIELD_OPTIONS)),
    )
