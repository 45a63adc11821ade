"""Exam test data: a bank with questions of each type, papers and exams built through the services."""
from __future__ import annotations

import itertools
from datetime import timedelta

from app.core import clock
from app.exams import services
from app.extensions import db
from app.questions import types as qtypes
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
    record = QuestionBank(key=key or f"bank-{n}", name=f"测试题库{n}")
    db.session.add(record)
    db.session.flush()
    return record


def question(bank_: QuestionBank, qtype: str = "single_choice", *, data=None, difficulty: int = 3,
             points: float = 1.0, text: str | None = None, knowledge_point_id=None) -> Question:
    """A question with one version (validated by its type)."""
    n = next(_seq)
    kind = qtypes.get_type(qtype)
    clean = kind.validate_data(data if data is not None else SAMPLE_DATA[qtype])
    q = Question(bank_id=bank_.id, identity=f"t:{n}", type=qtype, difficulty=difficulty, points=points,
                 name=f"题{n}", knowledge_point_id=knowledge_point_id)
    db.session.add(q)
    db.session.flush()
    version = QuestionVersion(question_id=q.id, number=1, type=qtype, text=text or f"<p>第{n}题</p>", data=clean,
                              points=points, difficulty=difficulty, explanation="<p>解析</p>")
    db.session.add(version)
    db.session.flush()
    q.current_version_id = version.id
    db.session.flush()
    return q


def new_version(q: Question, data: dict) -> QuestionVersion:
    """Correct a question: append a version and make it current."""
    current = db.session.get(QuestionVersion, q.current_version_id)
    version = QuestionVersion(question_id=q.id, number=current.number + 1, type=current.type, text=current.text,
                              data=qtypes.get_type(current.type).validate_data(data), points=current.points,
                              difficulty=current.difficulty)
    db.session.add(version)
    db.session.flush()
    q.current_version_id = version.id
    db.session.flush()
    return version


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
