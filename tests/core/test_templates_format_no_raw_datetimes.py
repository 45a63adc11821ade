"""Templates never format a datetime themselves: stored times are UTC, and only the approved filters (``date``,
``datetime``, ``local_input``, built on core.clock) turn them into the configured zone. A ``strftime`` in a
template, or a ``{{ x.created_at }}`` printed as is, shows UTC to a reader in Beijing."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
APPROVED = ("date", "datetime", "local_input")

#: Python calls that format or cut a datetime; never right in a template.
RAW_CALLS = re.compile(r"\.(strftime|isoformat|timestamp|astimezone)\s*\(|\.(date|time)\s*\(\s*\)")
EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
#: A value named like a stored date or time: created_at, issued_on, effective_date, integrated_since ...
TIMELIKE = re.compile(r"(?<![\w.])((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:_at|_on|_date|_since))\b(?!\s*\()")


def problems_in(source: str) -> list[str]:
    """What in ``source`` (template text) formats a datetime without an approved filter."""
    found = [f"{m.group(0)} (format datetimes with |date or |datetime)" for m in RAW_CALLS.finditer(source)]
    for expression in EXPRESSION.findall(source):
        for match in TIMELIKE.finditer(expression):
            name, rest, before = match.group(1), expression[match.end():], expression[:match.start()]
            if name.startswith("form.") or re.match(r"\w+_form\.", name):
                continue  # a WTForms field renders itself (its data is set in local time by the view)
            if re.match(r"\s*\|\s*(%s)\b" % "|".join(APPROVED), rest):
                continue
            if re.search(r"\b(if|not|and|or|is)\s*$", before) or re.match(r"\s*(is|==|!=|<|>)", rest):
                continue  # a test on the value, not its display
            found.append(f"{{{{{expression.strip()}}}}}: {name} printed without |date or |datetime")
    return found


def test_the_scanner_catches_each_kind_of_raw_formatting():
    bad = ['{{ cert.issued_on }}', '{{ a.submitted_at.strftime("%H:%M") }}', '{{ e.created_at.date() }}',
           '{{ _("截止：%(t)s", t=stage.due_at) }}', '{{ v.effective_date|string }}', "{{ x.created_at.isoformat() }}"]
    for snippet in bad:
        assert problems_in(snippet), snippet
    good = ['{{ cert.issued_on|date }}', '{{ _("截止：%(t)s", t=stage.due_at|datetime) }}',
            '{{ s.due_at|local_input if s else "" }}', '{% if t.revoked_at %}x{% endif %}',
            '{{ p.integrated_since|date if p.integrated_since else "否" }}', '{{ field(form.opens_at) }}', '{{ field(audience_form.closes_at) }}',
            '{{ t.last_used_at|datetime or "—" }}']
    for snippet in good:
        assert not problems_in(snippet), snippet


def test_no_template_formats_a_raw_datetime():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50  # the scan reads the real templates
    offenders = [f"{path.relative_to(TEMPLATES)}: {problem}" for path in templates
                 for problem in problems_in(path.read_text(encoding="utf-8"))]
    assert not offenders, "\n".join(offenders)
