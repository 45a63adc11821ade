"""From an author's Markdown to what a page version stores: sanitised HTML and worksheet field definitions.

Worksheet fields are written in fenced blocks whose info string is ``worksheet`` (see docs/worksheet-fields.md).
Each block is replaced in the HTML by an empty slot ``<div class="worksheet-slot" data-field="KEY"></div>`` per
field; views fill slots with a read-only rendering now and with inputs later. Slots are inserted *after*
sanitising (the allow-list has no ``data-field``), so an author cannot forge one with raw HTML.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import yaml
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.core.sanitize import render_markdown
from app.workbooks import fields as field_types

FENCE_INFO = "worksheet"
MAX_SOURCE = 200_000
_SLOT_RE = re.compile(r'<div class="worksheet-slot" data-field="([a-z0-9_]+)"></div>')
_PARSER = MarkdownIt("commonmark")


class MarkupError(ValueError):
    """A worksheet block that cannot be used; ``line`` is 1-based in the Markdown source."""

    def __init__(self, message: str, line: int | None = None):
        self.message, self.line = message, line
        super().__init__(message)


@dataclass
class Rendered:
    html: str
    fields: list[dict]


def _blocks(source: str):
    """Yield (first line, last line exclusive, YAML text, level) of every worksheet fence."""
    for token in _PARSER.parse(source):
        if token.type == "fence" and token.info.strip().split(" ")[0] == FENCE_INFO and token.map:
            yield token.map[0], token.map[1], token.content, token.level


def render_page(source: str) -> Rendered:
    """Validate the worksheet blocks of ``source`` and render the rest to sanitised HTML (raises MarkupError)."""
    if len(source) > MAX_SOURCE:
        raise MarkupError(_("页面内容过长（最多 %(n)s 个字符）。", n=MAX_SOURCE))
    lines = source.split("\n")
    nonce = secrets.token_hex(8)
    fields: list[dict] = []
    seen: set[str] = set()
    replacements = []
    for start, end, text, level in _blocks(source):
        if level != 0:
            raise MarkupError(_("填写项代码块必须顶格书写，不能放在列表或引用里。"), start + 1)
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            # "while parsing a flow sequence" errors point at the end of the block; their context mark at the
            # construct that was left open, which is what the author has to fix.
            mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
            problem = " ".join(filter(None, [getattr(exc, "context", None), getattr(exc, "problem", None)]))
            raise MarkupError(_("填写项不是有效的 YAML：%(error)s", error=problem or str(exc).split("\n")[0]),
                              start + 2 + (mark.line if mark else 0)) from None
        try:
            block = field_types.validate_definitions(raw, seen=seen)
        except field_types.FieldError as exc:
            raise MarkupError(_("填写项 %(path)s：%(error)s", path=exc.path or "-", error=exc.message),
                              start + 1) from None
        fields.extend(block)
        replacements.append((start, end, [f"GXSLOT{nonce}{d['key']}" for d in block]))
    for start, end, markers in reversed(replacements):
        lines[start:end] = [""] + [line for m in markers for line in (m, "")]
    html = render_markdown("\n".join(lines))
    for definition in fields:
        html = html.replace(f"<p>GXSLOT{nonce}{definition['key']}</p>",
                            f'<div class="worksheet-slot" data-field="{definition["key"]}"></div>')
    return Rendered(html=html, fields=fields)


def split_slots(html: str, fields: list[dict]) -> list[tuple[str, object]]:
    """Cut stored HTML into ``("html", Markup)`` and ``("field", definition)`` parts for templates."""
    by_key = {f["key"]: f for f in fields}
    parts: list[tuple[str, object]] = []
    position = 0
    for match in _SLOT_RE.finditer(html):
        parts.append(("html", Markup(html[position:match.start()])))
        if match.group(1) in by_key:
            parts.append(("field", by_key[match.group(1)]))
        position = match.end()
    parts.append(("html", Markup(html[position:])))
    return parts
