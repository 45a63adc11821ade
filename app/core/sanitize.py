"""The one place user-written HTML and Markdown become safe HTML (bleach allow-list).

Store the result of these functions next to the source text and render it with ``|safe``; reading a page never
sanitises again. API (stable, used by several domains):

- ``clean_html(html) -> str``: keep only allow-listed tags, attributes and URL schemes; everything else is
  escaped (unknown tags) or removed (``<script>``/``<style>`` with their content, ``on*=`` attributes,
  ``javascript:``/``data:`` URLs).
- ``render_markdown(md) -> str``: CommonMark (+ tables, strikethrough) via markdown-it-py with raw HTML
  disabled, then ``clean_html``.
"""
from __future__ import annotations

import re

import bleach
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align", "scope"],
    "ol": ["start"],
    "col": ["span"],
    "colgroup": ["span"],
    # markdown-it marks fenced code with its language; harmless and useful for styling.
    "code": ["class"],
}
#: Relative URLs (uploaded images under /media/...) are always allowed; these are the absolute schemes.
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

_cleaner = bleach.Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS,
                          strip=True, strip_comments=True)
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"])


def _drop_dangerous_blocks(html: str) -> str:
    """bleach with ``strip=True`` keeps the *text* of removed elements; for script/style that text is code,
    not content, so remove those elements whole first."""


    return re.sub(r"<(script|style|iframe|object|embed|template|noscript)\b[^>]*>.*?</\1\s*>", "", html,
                  flags=re.IGNORECASE | re.DOTALL)


def clean_html(html: str) -> str:
    """Sanitise user-supplied HTML with the allow-list."""
    if not html:
        return ""
    return _cleaner.clean(_drop_dangerous_blocks(html))


def render_markdown(md: str) -> str:
    """Markdown -> sanitised HTML (raw HTML in the source is shown as text, then the output is cleaned)."""
    if not md:
        return ""
    return clean_html(_markdown.render(md))
