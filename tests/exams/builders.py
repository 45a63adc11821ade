"""Exam test data: a bank with questions of each type, papers and exams built through the services."""
from __future__ import annotations

import itertools
from datetime import timedelta

from app.core import clock
from app.exams import services
from app.questions import services as questions
from app.questions.models import Question, QuestionBank, QuestionVersion

_seq = itertools.count(1)

SAMPLE_DATA = {
    "single_choice": {"options": [{"text": "扭矩扳手", "fraction": 1}, {"text": "活动扳手"}, {"text": "套筒"},
                                  {"text": "螺丝刀"}]},
    "multiple_choice": {"options": [{"text": "护目镜", "fraction": 0.5}, {"text": "手套", "fraction": 0.5},
                                    {"text": "拖鞋"}, {"text": "耳机"}]},
    "true_false": {"answer": True},
    "fill_blank": {"blanks": [{"answers": ["扭矩"]}, {"answers": ["Nm"]}]},
    "numerical": {"answers": [{"value": 9.81, "tolerance": 0.01, "fraction": 1}]},
    "matching": {"pairs": [{"prompt": "红", "answer": "火线"}, {"prompt": "蓝", "answer": "零线"}]},
    "essay": {"response_format": "text"},
    "description": {},
}
#: A right response per type (for the sample data above).
RIGHT = {"single_choice": "A", "multiple_choice": ["A", "B"], "true_false": True, "fill_blank": ["扭矩", "nm"],
         "numerical": 9.815, "matching": {"1": "A", "2": "B"}}


def bank(key: str | None = None) -> QuestionBank:
    n = next(_seq)
    return questions.create_bank(key=key or f"bank-{n}", name=f"测试题库{n}")


def question(bank_: QuestionBank, qtype: str = "single_choice", *, data=None, difficulty: int = 3,
             points: float = 1.0, text: str | None = None, knowledge_point=None) -> Question:
    """A question with one version, through the questions domain's services."""
    n = next(_seq)
    fields = questions.prepare_fields(qtype, text=text or f"<p>第{n}题：选择正确的工具</p>",
                                      data=data if data is not None else SAMPLE_DATA[qtype], name=f"题{n}",
                                      points=points, difficulty=difficulty, explanation="<p>解析</p>")
    return questions.create_question(bank_, fields, knowledge_point=knowledge_point)


def new_version(q: Question, data: dict) -> QuestionVersion:
    """Correct a question: append a version (it becomes current)."""
    current = q.current_version
    fields = questions.prepare_fields(current.type, text=current.text, data=data, name=current.name,
                                      points=current.points, difficulty=current.difficulty)
    return questions.edit_question(q, fields, change_note="answer key corrected")


def fixed_exam(questions, *, students=(), points: float = 2.0, creator=None, **fields):
    """An exam on a paper of fixed questions, granted to ``students``."""
    paper = services.create_paper(title="试卷", creator=creator)
    for q in questions:
        services.add_paper_question(paper, q, points)
    fields.setdefault("time_limit_minutes", 60)
    exam = services.create_exam(paper=paper, title="期中考试", creator=creator,
                                school_id=getattr(creator, "school_id", None), **fields)
    for s in students:
        services.grant_access(exam, s)
    return exam


def at(minutes: float):
    """Freeze the clock ``minutes`` from now (returns the moment)."""
    moment = clock.now() + timedelta(minutes=minutes)
    clock.set_now(moment)
    return moment
