"""Exam test data: a bank with questions of each type, papers and exams built through the services."""
from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import User
from app.core import clock
from app.exams import services
from app.extensions import db
from app.questions import services as questions
from app.questions.models import Question, QuestionBank, QuestionVersion
from app.review import services as review

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
#: A response per answerable type (for the sample data above): the right ones and, for types graded by hand, an
#: answer a teacher grades. A new question type adds its sample data and answer here; the tests over the type
#: registry (tests/exams/test_review_render.py) then cover it.
ANSWERED = {**RIGHT, "essay": {"text": "先断电，再检修。", "files": []}}


def bank(key: str | None = None) -> QuestionBank:
    n = next(_seq)
    return questions.create_bank(key=key or f"bank-{n}", name=f"测试题库{n}")


def reviewer() -> User:
    """The reviewer (审核专家) who approves what the builders create (one per test transaction)."""
    found = db.session.scalar(select(User).where(User.username == "builder-reviewer"))
    if found is None:
        from tests import factories

        found = factories.user("reviewer", username="builder-reviewer")
    return found


def approve(version: QuestionVersion) -> QuestionVersion:
    """Pass a submitted version through review, as a reviewer does in the queue."""
    review.approve(version, reviewer())
    return version


def question(bank_: QuestionBank, qtype: str = "single_choice", *, data=None, difficulty: int = 3,
             points: float = 1.0, text: str | None = None, knowledge_point=None, approved: bool = True) -> Question:
    """A question with one version, through the questions domain's services; approved by a reviewer
    unless ``approved=False`` (then it waits in the review queue and no exam may use it)."""
    n = next(_seq)
    fields = questions.prepare_fields(qtype, text=text or f"<p>第{n}题：选择正确的工具</p>",
                                      data=data if data is not None else SAMPLE_DATA[qtype], name=f"题{n}",
                                      points=points, difficulty=difficulty, explanation="<p>解析</p>")
    q = questions.create_question(bank_, fields, knowledge_point=knowledge_point)
    if approved:
        approve(q.current_version)
    return q


def new_version(q: Question, data: dict, *, approved: bool = True) -> QuestionVersion:
    """Correct a question: append a version (it becomes current; approved unless ``approved=False``)."""
    current = q.current_version
    fields = questions.prepare_fields(current.type, text=current.text, data=data, name=current.name,
                                      points=current.points, difficulty=current.difficulty)
    version = questions.edit_question(q, fields, change_note="answer key corrected")
    if approved and version is not None:
        approve(version)
    return version


def fixed_exam(questions, *, students=(), points: float = 2.0, creator=None, **fields):
    """An exam on a paper of fixed questions, granted to ``students``."""
    paper = services.create_paper(title="试卷", creator=creator)
    for q in questions:
        services.add_paper_question(paper, q, points)
    fields.setdefault("time_limit_minutes", 60)
    fields.setdefault("title", "期中考试")
    exam = services.create_exam(paper=paper, creator=creator,
                                school_id=getattr(creator, "school_id", None), **fields)
    for s in students:
        services.grant_access(exam, s)
    return exam


def at(minutes: float):
    """Freeze the clock ``minutes`` from now (returns the moment)."""
    moment = clock.now() + timedelta(minutes=minutes)
    clock.set_now(moment)
    return moment
