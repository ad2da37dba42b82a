"""The public pages' query parameters (`/news`'s `q`, `category`, `page`; the feeds'
`category`): outside text, read by one rule."""

from __future__ import annotations

from domain.text import remove_control_characters


def parameter(params: dict[str, list[str]], name: str, limit: int) -> str:
    """The first value of `name` in `params` (parse_qs's shape), or "": control
    characters and bidi controls removed (domain.text.remove_control_characters, the
    one rule for outside text: a crafted link must not reverse what the page shows,
    nor send NUL, which PostgreSQL refuses in text, to the store), runs of whitespace
    made one space, cut to `limit` characters."""
    value = (params.get(name) or [""])[0]
    return " ".join(remove_control_characters(value).split())[:limit]
