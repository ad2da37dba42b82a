"""html_to_text reads simple, well-nested markup in one pass (sources/text.py, issue 16):
the text must be BeautifulSoup's to the character, for markup it takes and markup it
must hand over (unbalanced tags, comments, stray "<", unusual references)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sources.text import _MARKUP, _simple_html_to_text, html_to_text, soup_text

WORDS = st.sampled_from(
    ["co", " op", "\n", "&amp;", "&hellip;", "&#233;", "&#x263a;", "&nbsp;", "x>y", "\u200b", ""]
)
TAGS = ["p", "b", "a", "div", "span", "li", "em", "h3", "td", "strong", "ul", "font", "q", "P"]
ATTRIBUTES = ["", " class=x", ' href="u"', " title='a>b'", ' data-x="1" ', " HREF=u"]
VOIDS = ["<br>", "<br/>", "<br />", "<hr>", "<img src='a>b' alt=x>", "<wbr>"]
ODD = [
    "</p>",
    "<!-- c -->",
    "a<b",
    "&foo;",
    "&#150;",
    "&amp",
    "AT&T",
    "</br>",
    "<p/>",
    "<script>x</script>",
]


def markup(depth: int = 0):
    leaf = st.one_of(WORDS, st.sampled_from(VOIDS))
    if depth > 2:
        return leaf
    element = st.builds(
        lambda tag, attribute, inner: f"<{tag}{attribute}>{inner}</{tag}>",
        st.sampled_from(TAGS),
        st.sampled_from(ATTRIBUTES),
        markup(depth + 1),
    )
    return st.lists(st.one_of(leaf, element), min_size=1, max_size=4).map("".join)


@settings(max_examples=400, deadline=None)
@given(markup(), st.lists(st.sampled_from(ODD), max_size=2), st.integers(0, 3))
def test_simple_markup_reads_as_beautifulsoup_reads_it(text, odd, at):
    for candidate in (text, text[:at] + "".join(odd) + text[at:]):
        simple = _simple_html_to_text(candidate)
        if simple is not None:
            assert simple == soup_text(candidate)
        if _MARKUP.search(candidate):  # else plain text, never parsed (as before)
            assert html_to_text(candidate) == soup_text(candidate)


def test_the_usual_summary_takes_the_one_pass_reading():
    summary = '<p>A <b>summary</b> for <a href="https://x.example/?a=1&amp;b=2">story</a>'
    summary += "</p><p>Read more&hellip;<br/>Caf&eacute; co&#8209;op</p>"
    assert _simple_html_to_text(summary) == "A summary for story Read more… Café co‑op"
    assert _simple_html_to_text("<p>unclosed") is None
    assert _simple_html_to_text("<p>a</b></p>") is None
    assert _simple_html_to_text("<!-- c --><p>a</p>") is None
