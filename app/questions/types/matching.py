"""匹配 matching: each prompt is matched with one answer; distractors are extra answers that match nothing.

Students see the prompts keyed ``1, 2, 3 ...`` (in authoring order) and the answers keyed ``A, B, C ...`` in
alphabetical order of their text — an order that says nothing about which prompt they belong to. The
response maps prompt keys to answer keys; each right pair earns an equal share.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from html import escape

from markupsafe import Markup

from app.questions.sanitize import clean_html
from app.questions.types import register
from app.questions.types.base import (OPTION_KEYS, QuestionType, clamp_fraction, fail, html_of, label_of, plain,
                                      text_of, yes_no)


def choices(data: dict) -> list[str]:
    """The distinct answer texts (right answers and distractors) in the order students see them."""
    return sorted({p["answer"] for p in data["pairs"]} | set(data.get("distractors", [])))


@register
class Matching(QuestionType):
    name = "matching"
    label = _l("匹配题")

    def validate_data(self, data: dict) -> dict:
        data = data or {}
        pairs = data.get("pairs")
        if not isinstance(pairs, list) or len(pairs) < 2:
            fail(_l("匹配题至少需要两对。"))
        clean = []
        for index, pair in enumerate(pairs, start=1):
            if not isinstance(pair, dict):
                fail(_l("匹配题的配对格式错误。"))
            clean.append({"prompt": html_of(pair.get("prompt"), _l("第 %(n)s 对的题目", n=index)),
                          "answer": text_of(pair.get("answer"), _l("第 %(n)s 对的答案", n=index), limit=1000)})
        distractors = [text_of(d, "distractor", limit=1000) for d in data.get("distractors") or []]
        result = {"pairs": clean, "distractors": distractors, "shuffle": bool(data.get("shuffle", True))}
        if len(choices(result)) > len(OPTION_KEYS):
            fail(_l("匹配题的答案最多 %(n)s 个。"), n=len(OPTION_KEYS))
        return result

    def from_interchange(self, question: dict) -> dict:
        pairs, distractors = [], []
        for pair in question.get("pairs") or []:
            prompt, answer = (pair.get("prompt") or "").strip(), (pair.get("answer") or "").strip()
            if prompt:
                pairs.append({"prompt": prompt, "answer": answer})
            elif answer:
                # Moodle's way of writing a distractor: a pair without a prompt.
                distractors.append(answer)
        data = {"pairs": pairs, "distractors": distractors}
        if question.get("shuffle") is not None:
            data["shuffle"] = bool(question["shuffle"])
        return data

    def to_interchange(self, data: dict) -> dict:
        return {"answers": [], "pairs": [dict(p) for p in data["pairs"]]
                + [{"prompt": "", "answer": d} for d in data.get("distractors", [])]}

    def public_view(self, version) -> dict:
        view = super().public_view(version)
        # Prompts are sanitised HTML (cleaned again for versions stored before that); answers are plain text,
        # shown in a <select>.
        view["prompts"] = [{"key": str(i), "text": clean_html(p["prompt"])}
                           for i, p in enumerate(version.data["pairs"], start=1)]
        view["options"] = [{"key": OPTION_KEYS[i], "text": t} for i, t in enumerate(choices(version.data))]
        return view

    def validate_response(self, data: dict, response):
        if response is None or response == "":
            return {}
        # Exact membership in sets: a string test such as ``v in "ABC"`` would let "AB" (a substring) through,
        # and unhashable or non-text values must be refused, not crash.
        prompts = {str(n) for n in range(1, len(data["pairs"]) + 1)}
        keys = set(OPTION_KEYS[:len(choices(data))])
        if not isinstance(response, dict) or not all(
                k in prompts and (v is None or (isinstance(v, str) and v in keys)) for k, v in response.items()):
            fail(_l("匹配题的答案应为 {\"题目序号\": \"答案标识\"} 的对象。"))
        return {k: v for k, v in response.items() if v}

    def grade(self, data, response, points, *, scoring=None):
        if not response:
            return 0.0, 0.0
        texts = choices(data)
        pairs = data["pairs"]
        right = 0
        for index, pair in enumerate(pairs, start=1):
            key = response.get(str(index))
            if key is not None and texts[OPTION_KEYS.index(key)] == pair["answer"]:
                right += 1
        fraction = clamp_fraction(right / len(pairs))
        return points * fraction, fraction

    def correct_answer_view(self, data: dict) -> dict:
        texts = choices(data)
        return {"pairs": {str(i): OPTION_KEYS[texts.index(p["answer"])] for i, p in enumerate(data["pairs"], start=1)},
                "text": "; ".join(f"{clean_html(p['prompt'])} → {escape(p['answer'], quote=False)}"
                                  for p in data["pairs"])}

    def data_lines(self, data: dict) -> list[str]:
        lines = [label_of(_l("配对 %(n)s：%(prompt)s → %(answer)s", n=n, prompt=plain(p["prompt"]), answer=p["answer"]))
                 for n, p in enumerate(data["pairs"], start=1)]
        if data.get("distractors"):
            lines.append(label_of(_l("干扰项：%(v)s", v="；".join(data["distractors"]))))
        return lines + [label_of(_l("打乱顺序：%(v)s", v=yes_no(data.get("shuffle", True))))]

    def review(self, data: dict, options: list[dict], response) -> dict:
        # Students pick answer texts from a list (no letters): the review names the texts, per prompt.
        texts = choices(data)
        given = response if isinstance(response, dict) else {}
        rows = []
        for n, pair in enumerate(data["pairs"], start=1):
            key = given.get(str(n))
            chosen = texts[OPTION_KEYS.index(key)] if isinstance(key, str) and key in OPTION_KEYS[:len(texts)] \
                else None
            rows.append({"label": Markup(clean_html(pair["prompt"])), "response": chosen, "right": pair["answer"]})
        return {"options": [], "response": None, "right": None, "rows": rows}

    def blank_response(self):
        return {}
