"""bot.listeners.commands.router.split_words: its fast path (no quote or backslash)
splits exactly as shlex.split does."""

from __future__ import annotations

import random
import shlex

from bot.listeners.commands.router import split_words

# Everything shlex could treat differently from str.split: its own whitespace, Unicode
# spaces it does not split on, shell punctuation and comment signs it keeps in words.
ALPHABET = ["a", "b", "é", "1", "-", " ", "  ", "\t", "\r", "\n", "\u00a0", "\u2003",
            "\x0b", "\x0c", "#", ";", "|", "&", "(", ")", "*", "?", "$", "~", "<", ">",
            "%", "!", "=", "\u201c"]  # fmt: skip


def test_the_fast_path_splits_as_shlex_does():
    rng = random.Random(16)
    checked = 0
    for _ in range(20_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))
        if "\u201c" in text:
            continue  # a smart quote goes to shlex itself
        assert split_words(text) == shlex.split(text), repr(text)
        checked += 1
    assert checked > 10_000


def test_quotes_still_group_words():
    assert split_words('search "co-op housing" now') == ["search", "co-op housing", "now"]
    assert split_words("search \u201cco-op housing\u201d") == ["search", "co-op housing"]
    assert split_words('search "unclosed') == ["search", '"unclosed']
    assert split_words("latest 10\\ News") == ["latest", "10 News"]
