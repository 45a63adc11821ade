"""Loose-leaf workbooks (活页式教材 / 工作页): workbooks, pages revised on their own, append-only reviewed versions,
worksheet fields, printing and PDF. See docs/workbooks.md and docs/worksheet-fields.md."""
