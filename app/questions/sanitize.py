"""Rich text of questions: every piece of HTML that reaches the database passes :func:`clean_html`.

The shared ``app/core/sanitize.py`` is being written on another branch; until it lands this small bleach
policy serves the questions domain (same intent: a fixed allow-list, no scripts, no inline styles because the
CSP forbids them, links and images only over http(s) or relative URLs — never ``data:`` or ``javascript:``).
"""
from __future__ import annotations

import html
import re

import bleach
from markdown_it import MarkdownIt

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul", "audio", "source", "figure", "figcaption", "caption",
})
ATTRIBUTES = {
    "a": ["href", "title"],
    "img": ["src", "alt", "title", "width", "height"],
    "audio": ["src", "controls"],
    "source": ["src", "type"],
    "td": ["colspan", "rowspan"],
    "th": ["colspan", "rowspan", "scope"],
    "abbr": ["title"],
}
PROTOCOLS = frozenset({"http", "https", "mailto"})

_cleaner = bleach.Cleaner(tags=TAGS, attributes=ATTRIBUTES, protocols=PROTOCOLS, strip=True,
                          strip_comments=True)
_markdown = MarkdownIt("commonmark", {"html": False})
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
#: Tags without attributes that need no parsing to be safe (what plain text and simple markup turn into).
_SIMPLE_TAG = re.compile(r"</?(?:p|br|b|strong|i|em|u|s|sub|sup|ul|ol|li|code|pre|blockquote|hr)\s*/?>")
_ANY_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


def clean_html(value: str) -> str:
    """Sanitise untrusted HTML to the allow-list above (text outside tags is kept, escaped)."""
    if not value:
        return ""
    # Fast path for text that has no markup beyond attribute-less allowed tags and well-formed entities (what
    # plain-text imports produce): it is already safe, and bleach's full parse costs ~1 ms a question.
    stripped = _SIMPLE_TAG.sub("", value)
    if "<" not in stripped and (("&" not in stripped) or "&" not in _ENTITY.sub("", stripped)):
        return value.strip()
    return _cleaner.clean(value).strip()


def plain_to_html(value: str) -> str:
    """Plain text as HTML: escaped, line breaks kept."""
    return html.escape(value.strip(), quote=False).replace("\r\n", "\n").replace("\n", "<br>")


def markdown_to_html(value: str) -> str:
    return clean_html(_markdown.render(value))


def auto_to_html(value: str) -> str:
    """Moodle's "auto format": HTML when the text contains tags, otherwise plain text with line breaks."""
    if _TAG.search(value):
        return clean_html(value.replace("\r\n", "\n"))
    return plain_to_html(value)


#: Moodle text formats -> converter to sanitised HTML.
FORMATS = {"html": clean_html, "markdown": markdown_to_html, "plain": plain_to_html, "moodle": auto_to_html,
           "auto": auto_to_html}


def to_html(value: str, fmt: str = "auto") -> str:
    return FORMATS.get(fmt, auto_to_html)(value or "")


def html_to_text(value: str) -> str:
    """Visible text of an HTML fragment (for names, lists and exports to plain formats)."""
    text = re.sub(r"<br\s*/?>|</p>|</div>|</li>", "\n", value or "", flags=re.I)
    # The input is already sanitised HTML, so dropping every tag leaves its text.
    return html.unescape(_ANY_TAG.sub("", text)).strip()
