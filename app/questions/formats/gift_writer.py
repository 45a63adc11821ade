"""Writing GIFT the way Moodle's exporter does, so Moodle (and our reader) read it back unchanged.

Text is written with the ``[html]`` prefix (our texts are sanitised HTML). Fill-in-the-blank questions
with more than one blank have no GIFT form; they are left out with a ``//`` comment naming them.
"""
from __future__ import annotations

_SPECIALS = {"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#", "{": "\\{", "}": "\\}", ":": "\\:", "\n": "\\n"}


def escape(text: str) -> str:
    return "".join(_SPECIALS.get(ch, ch) for ch in (text or ""))


def _pct(fraction: float) -> str:
    value = round(fraction * 100, 5)
    return f"%{value:g}%"


def _fb(feedback: str) -> str:
    return f"#{escape(feedback)}" if feedback else ""


def _choice(q):
    single = q["type"] == "single_choice"
    lines = []
    for a in q["answers"]:
        if single and a["fraction"] >= 1:
            lines.append(f"\t={escape(a['text'])}{_fb(a['feedback'])}")
        elif a["fraction"]:
            lines.append(f"\t~{_pct(a['fraction'])}{escape(a['text'])}{_fb(a['feedback'])}")
        else:
            lines.append(f"\t~{escape(a['text'])}{_fb(a['feedback'])}")
    return "{\n" + "\n".join(lines) + _general(q) + "\n}"


def _true_false(q):
    true, false = q["answers"][0], q["answers"][1]
    value = true["fraction"] > 0
    right, wrong = (true, false) if value else (false, true)
    body = "TRUE" if value else "FALSE"
    if wrong["feedback"]:
        body += _fb(wrong["feedback"])
    elif right["feedback"]:
        body += "#"
    if right["feedback"]:
        body += _fb(right["feedback"])
    return "{" + body + _general(q) + "}"


def _fill_blank(q):
    if any((a.get("blank") or 1) > 1 for a in q["answers"]):
        return None
    parts = [f"={'' if a['fraction'] >= 1 else _pct(a['fraction'])}{escape(a['text'])}{_fb(a['feedback'])}"
             for a in q["answers"]]
    return "{\n\t" + "\n\t".join(parts) + _general(q) + "\n}"


def _numerical(q):
    parts = [f"={'' if a['fraction'] >= 1 else _pct(a['fraction'])}{a['text']}:{a['tolerance'] or 0:g}"
             f"{_fb(a['feedback'])}" for a in q["answers"] if a["text"] != "*"]
    # Moodle's "any other answer" is written as "~#feedback", as Moodle writes it.
    parts += [f"~{_fb(a['feedback']) or '#'}" for a in q["answers"] if a["text"] == "*"]
    return "{#\n\t" + "\n\t".join(parts) + _general(q) + "\n}"


def _matching(q):
    parts = [f"={escape(p['prompt'])} -> {escape(p['answer'])}" for p in q["pairs"]]
    return "{\n\t" + "\n\t".join(parts) + _general(q) + "\n}"


def _essay(q):
    return "{" + _general(q) + "}"


def _general(q) -> str:
    return f"####{escape(q['general_feedback'])}" if q.get("general_feedback") else ""


WRITERS = {"single_choice": _choice, "multiple_choice": _choice, "true_false": _true_false,
           "fill_blank": _fill_blank, "numerical": _numerical, "matching": _matching, "essay": _essay,
           "description": lambda q: ""}


def write(questions: list[dict]) -> str:
    out, category = [], None
    for q in questions:
        if q.get("category", "") != category:
            category = q.get("category", "")
            out.append(f"$CATEGORY: $course$/top/{category}\n" if category else "$CATEGORY: $course$/top\n")
        answers = WRITERS[q["type"]](q)
        if answers is None:
            out.append(f"// {escape(q['name'])}: GIFT cannot hold a question with several blanks; left out.\n")
            continue
        comments = []
        if q.get("id_number"):
            id_number = q["id_number"].replace("]", "\\]")
            comments.append(f"[id:{id_number}]")
        comments += [f"[tag:{t}]" for t in q.get("tags") or []]
        head = f"// {' '.join(comments)}\n" if comments else ""
        out.append(f"{head}::{escape(q['name'])}::[html]{escape(q['text'])}{answers}\n")
    return "\n".join(out)
