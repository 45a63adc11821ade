"""学情分析 after an exam: score distribution and pass rate per cohort, mastery per knowledge point and per
learning task for the class and for each student.

Each student counts once, with their latest graded attempt. Mastery is points earned / points possible over the
items of a knowledge point (or of the points of a learning task). A student's group is the course or cohort
(班级) the exam was granted to them through, or 单独开通. A fixed number of statements whatever the number of
attempts (tests/exams/test_analytics.py counts them); the XLSX export uses the same :class:`Analytics`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from app.auth.models import User
from app.exams.models import Attempt, AttemptItem, AttemptState, Exam, ExamAudience, ExamGrant
from app.exams.reports import _histogram
from app.extensions import db
from app.questions.models import KnowledgePoint, Question
from app.standards.models import IntegratedCourse, LearningTask


@dataclass
class Mastery:
    earned: float = 0.0
    possible: float = 0.0

    def add(self, earned, possible) -> None:
        self.earned += float(earned or 0)
        self.possible += float(possible or 0)

    @property
    def percent(self) -> float | None:
        return 100.0 * self.earned / self.possible if self.possible else None


@dataclass
class Student:
    user_id: int
    username: str
    name: str
    group: str
    score: float
    max_score: float
    passed: bool
    points: dict[int, Mastery] = field(default_factory=dict)
    tasks: dict[int, Mastery] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclass
class Group:
    name: str
    students: int = 0
    passed: int = 0
    percent_sum: float = 0.0

    @property
    def pass_rate(self) -> float | None:
        return 100.0 * self.passed / self.students if self.students else None

    @property
    def mean_percent(self) -> float | None:
        return self.percent_sum / self.students if self.students else None


@dataclass
class Analytics:
    students: list[Student]
    groups: list[Group]
    histogram: list[dict]
    #: knowledge point id -> (name, learning task id or None)
    points: dict[int, tuple[str, int | None]]
    #: learning task id -> (code and name, standard version id for the link)
    tasks: dict[int, tuple[str, int]]
    class_points: dict[int, Mastery]
    class_tasks: dict[int, Mastery]


def build(exam: Exam) -> Analytics:
    """Four statements: latest graded attempts with their students and groups; earned/possible per student and
    knowledge point; the points' names and tasks; the tasks' names."""
    latest = (select(Attempt.user_id, func.max(Attempt.number).label("number"))
              .where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.graded.value)
              .group_by(Attempt.user_id).subquery())
    rows = db.session.execute(
        select(Attempt.id, Attempt.user_id, Attempt.score, Attempt.max_score, Attempt.passed, User.username,
               User.full_name, ExamAudience.label)
        .join(latest, and_(latest.c.user_id == Attempt.user_id, latest.c.number == Attempt.number))
        .join(User, User.id == Attempt.user_id)
        .outerjoin(ExamGrant, and_(ExamGrant.exam_id == exam.id, ExamGrant.user_id == Attempt.user_id))
        .outerjoin(ExamAudience, ExamAudience.id == ExamGrant.audience_id)
        .where(Attempt.exam_id == exam.id)
        .order_by(ExamAudience.label, User.username)).all()
    direct = _("单独开通")
    students = {r.id: Student(user_id=r.user_id, username=r.username, name=r.full_name or r.username,
                              group=r.label or direct, score=float(r.score or 0), max_score=float(r.max_score or 0),
                              passed=bool(r.passed)) for r in rows}
    groups: dict[str, Group] = {}
    for s in students.values():
        g = groups.setdefault(s.group, Group(s.group))
        g.students += 1
        g.passed += int(s.passed)
        g.percent_sum += s.percent
    per_point = []
    if students:
        per_point = db.session.execute(
            select(AttemptItem.attempt_id, Question.knowledge_point_id, func.sum(func.coalesce(AttemptItem.score, 0.0)),
                   func.sum(AttemptItem.points))
            .select_from(AttemptItem)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .join(latest, and_(latest.c.user_id == Attempt.user_id, latest.c.number == Attempt.number))
            .join(Question, Question.id == AttemptItem.question_id)
            .where(Attempt.exam_id == exam.id, Question.knowledge_point_id.is_not(None), AttemptItem.points > 0)
            .group_by(AttemptItem.attempt_id, Question.knowledge_point_id)).all()
    point_ids = {row[1] for row in per_point}
    points = {p.id: (p.path.replace("/", " / ") if p.path else p.name, p.learning_task_id)
              for p in db.session.execute(select(KnowledgePoint.id, KnowledgePoint.name, KnowledgePoint.path,
                                                 KnowledgePoint.learning_task_id)
                                          .where(KnowledgePoint.id.in_(point_ids)))} if point_ids else {}
    task_ids = {t for _name, t in points.values() if t is not None}
    tasks = {t.id: (f"{t.code} {t.name}", t.version_id) for t in db.session.execute(
        select(LearningTask.id, LearningTask.code, LearningTask.name, IntegratedCourse.version_id)
        .join(IntegratedCourse, IntegratedCourse.id == LearningTask.course_id)
        .where(LearningTask.id.in_(task_ids)))} if task_ids else {}
    class_points: dict[int, Mastery] = defaultdict(Mastery)
    class_tasks: dict[int, Mastery] = defaultdict(Mastery)
    for attempt_id, point_id, earned, possible in per_point:
        student = students.get(attempt_id)
        if student is None:
            continue
        student.points.setdefault(point_id, Mastery()).add(earned, possible)
        class_points[point_id].add(earned, possible)
        task_id = points.get(point_id, ("", None))[1]
        if task_id in tasks:
            student.tasks.setdefault(task_id, Mastery()).add(earned, possible)
            class_tasks[task_id].add(earned, possible)
    ordered = sorted(students.values(), key=lambda s: (s.group, s.username))
    return Analytics(students=ordered, groups=sorted(groups.values(), key=lambda g: g.name),
                     histogram=_histogram([s.percent for s in ordered]),
                     points=dict(sorted(points.items(), key=lambda kv: kv[1][0])),
                     tasks=dict(sorted(tasks.items(), key=lambda kv: kv[1][0])),
                     class_points=dict(class_points), class_tasks=dict(class_tasks))


def rounded(value: float | None) -> float | str:
    """A percentage as a person writes it: one decimal, no trailing .0; empty when there is none."""
    if value is None:
        return ""
    value = round(value, 1)
    return int(value) if value == int(value) else value


def sheets(data: Analytics) -> list[tuple[str, list[str], list[list]]]:
    """The export: the same numbers as the page, one sheet per table."""
    out = [(_("班级"), [_("班级或课程"), _("人数"), _("及格人数"), _("及格率（百分比）"), _("平均得分率（百分比）")],
            [[g.name, g.students, g.passed, rounded(g.pass_rate), rounded(g.mean_percent)] for g in data.groups]),
           (_("成绩分布"), [_("得分率区间（百分比）"), _("人数")], [[b["label"], b["count"]] for b in data.histogram]),
           (_("知识点掌握"), [_("知识点"), _("学习任务"), _("全班掌握度（百分比）")],
            [[name, data.tasks.get(task, ("", 0))[0] if task else "", rounded(data.class_points[pid].percent)]
             for pid, (name, task) in data.points.items() if pid in data.class_points]),
           (_("学习任务掌握"), [_("学习任务"), _("全班掌握度（百分比）")],
            [[label, rounded(data.class_tasks[tid].percent)] for tid, (label, _v) in data.tasks.items()
             if tid in data.class_tasks])]
    headers = [_("用户名"), _("姓名"), _("班级或课程"), _("得分"), _("满分"), _("得分率（百分比）")]
    headers += [name for name, _task in data.points.values()] + [label for label, _v in data.tasks.values()]
    rows = []
    for s in data.students:
        row = [s.username, s.name, s.group, rounded(s.score), rounded(s.max_score), rounded(s.percent)]
        row += [rounded(s.points[p].percent) if p in s.points else "" for p in data.points]
        row += [rounded(s.tasks[t].percent) if t in s.tasks else "" for t in data.tasks]
        rows.append(row)
    out.append((_("学生掌握"), headers, rows))
    return out
