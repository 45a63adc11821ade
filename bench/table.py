"""Plain-text tables: one per scenario, readable in a terminal and pasteable into Markdown."""
from __future__ import annotations

from dataclasses import dataclass, field


def _cell(value) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


@dataclass
class Table:
    """A titled table of rows (dicts); columns appear in first-seen order."""

    title: str
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, **row) -> None:
        self.rows.append(row)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def render(self) -> str:
        columns: list[str] = []
        for row in self.rows:
            columns += [c for c in row if c not in columns]
        cells = [[_cell(row.get(c)) for c in columns] for row in self.rows]
        widths = [max([len(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]

        def line(values):
            return "| " + " | ".join(_pad(v, w, i > 0) for i, (v, w) in enumerate(zip(values, widths))) + " |"

        out = [f"### {self.title}", ""]
        if columns:
            out += [line(columns), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
            out += [line(r) for r in cells]
        if self.notes:
            out.append("")
            out += [f"- {n}" for n in self.notes]
        return "\n".join(out) + "\n"


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap
