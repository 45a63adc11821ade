"""Rich text of questions: every piece of HTML that reaches the database passes :func:`clean_html`.

The allow-list itself is the platform's (``app.core.sanitize``); this module adds a fast path for the plain
text that imports are mostly made of, and the conversions of Moodle's text formats (html, markdown, plain,
moodle auto-format) to sanitised HTML.
"""
from __future__ import annotations

import html
import re

from app.core import sanitize as core_sanitize

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
    return core_sanitize.clean_html(value).strip()


def plain_to_html(value: str) -> str:
    """Plain text as HTML: escaped, line breaks kept."""
    return html.escape(value.strip(), quote=False).replace("\r\n", "\n").replace("\n", "<br>")


def markdown_to_html(value: str) -> str:
    return core_sanitize.render_markdown(value)


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
