"""The one place user-written HTML becomes safe: Markdown rendering and an allow-list HTML cleaner (bleach).

Templates may mark a string ``|safe`` only if it came out of :func:`clean_html` or :func:`render_markdown`.
Store the result beside the source (e.g. ``PageVersion.html``) so reading a page never sanitises again.

What survives: structural and inline text markup, tables, links (http, https, mailto and relative URLs; they get
``rel="nofollow noopener noreferrer"``), images (http, https and relative ``src``; no ``data:``), and ``class`` on
``code`` when it names a language (``language-python``). Everything else is removed: ``<script>``/``<style>``
elements with their content, event-handler attributes (``onerror=``), ``style`` (the CSP forbids inline styles
anyway), ``javascript:``/``data:``/``vbscript:`` URLs, forms, frames, SVG and comments.
"""
from __future__ import annotations

import re
from functools import lru_cache

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre",
    "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]{1,32}$")
_SIMPLE_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# Elements whose *content* is code or styling, not text: drop them whole before bleach sees them (bleach with
# strip=True would keep "alert(1)" as visible text). Safety does not depend on this pass: bleach removes the tags.
_DROP_WITH_CONTENT = re.compile(r"<(script|style|template|iframe|object|noscript)\b.*?(</\1\s*>|\Z)",
                                re.IGNORECASE | re.DOTALL)


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    if name in _SIMPLE_ATTRIBUTES.get(tag, ()):
        return True
    return tag == "code" and name == "class" and bool(_LANGUAGE_CLASS.match(value))


def _harden_links(attrs, new=False):
    """Linkify callback: outside links never get the page's referrer or a window handle."""
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if href.startswith(("http:", "https:")):
        attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


@lru_cache(maxsize=1)
def _cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS, attributes=_allow_attribute, protocols=ALLOWED_PROTOCOLS, strip=True,
        strip_comments=True,
        filters=[lambda source: LinkifyFilter(source, callbacks=[_harden_links], skip_tags={"pre", "code"},
                                              parse_email=False)],
    )


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # CommonMark plus GFM tables and strikethrough; raw HTML is allowed in the source and cleaned afterwards.
    return MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"])


def clean_html(html: str) -> str:
    """Reduce ``html`` to the allow-list above. Idempotent; safe to mark ``|safe`` in templates."""
    if not html:
        return ""
    return _cleaner().clean(_DROP_WITH_CONTENT.sub("", html))


def render_markdown(source: str) -> str:
    """Render Markdown (CommonMark + tables + strikethrough) to cleaned HTML."""
    if not source:
        return ""
    return clean_html(_markdown().render(source))
