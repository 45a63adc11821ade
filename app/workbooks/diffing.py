"""Readable diffs between two page versions (difflib), rendered to escaped HTML."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

#: difflib's navigation column ("f", "n", "t" links to the first/next change and the top): meaningless to readers.
_NAV_CELL = re.compile(r'<t([dh]) class="diff_next"[^>]*>.*?</t\1>', re.S)
_COLGROUP = re.compile(r"\s*<colgroup></colgroup>")


@dataclass
class DiffLine:
    #: ``same``, ``add``, ``del`` or ``gap`` (skipped unchanged lines).
    kind: str
    old_no: int | None
    new_no: int | None
    text: str


def unified(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """Changed lines with ``context`` unchanged lines around them, numbered on both sides."""
    a, b = old.splitlines(), new.splitlines()
    out: list[DiffLine] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if out:
            out.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(DiffLine("same", i + 1, j + 1, a[i]) for i, j in zip(range(i1, i2), range(j1, j2)))
                continue
            out.extend(DiffLine("del", i + 1, None, a[i]) for i in range(i1, i2))
            out.extend(DiffLine("add", None, j + 1, b[j]) for j in range(j1, j2))
    return out


def side_by_side(old: str, new: str, old_label: str, new_label: str) -> Markup:
    """difflib's two-column table (it escapes the text itself); only changed regions with context, without
    difflib's navigation links and English "No Differences Found"."""
    if old.splitlines() == new.splitlines():
        return Markup('<p class="text-body-secondary">{}</p>').format(_("两个版本内容相同。"))
    table = difflib.HtmlDiff(wrapcolumn=60).make_table(old.splitlines(), new.splitlines(),
                                                         str(escape(old_label)), str(escape(new_label)),
                                                         context=True, numlines=3)
    table = _COLGROUP.sub("", _NAV_CELL.sub("", table))
    # difflib adds presentational attributes the page's CSS replaces (the CSP forbids inline styles anyway).
    return Markup(table.replace(' nowrap="nowrap"', "").replace('cellspacing="0" cellpadding="0" rules="groups" ',
                                                                ""))


def review_html(old: str, new: str, note: str = "", max_lines: int = 400) -> Markup:
    """The diff in the review queue's convention (``<pre class="review-pre">`` with ``diff-add``/``diff-del``/
    ``diff-hunk`` spans); the +/- prefix carries the meaning, colour only helps. Everything is escaped."""
    spans = []
    for line in unified(old, new)[:max_lines]:
        css, sign = {"same": ("", " "), "add": ("diff-add", "+"), "del": ("diff-del", "-"),
                     "gap": ("diff-hunk", "@")}[line.kind]
        spans.append(Markup('<span class="{}">{} {}</span>').format(css, sign, line.text if line.kind != "gap"
                                                                     else "…"))
    body = Markup("\n").join(spans)
    return Markup("<p>{}</p><pre class='review-pre small'>{}</pre>").format(note, body)
