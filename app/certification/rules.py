"""Registry of certificate requirements. Each rule answers, for one teacher and program, ok + a reason the
teacher can read ("还差 3.5 学时：工学一体化课程考核实施"). A program's requirements are the rules that apply
to it; adding a requirement is one more registered function, never an if/elif in the services.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _


@dataclass(frozen=True)
class Outcome:
    rule: str
    ok: bool
    reason: str


@dataclass
class Facts:
    """What the rules look at, gathered once per teacher (see services.gather_facts)."""

    program: object
    #: program course id -> hours earned in it
    course_hours: dict
    total_hours: float
    #: best exam percentage, or None when never passed/attempted
    exam_passed: bool
    #: best reviewed practical score, or None
    practical_score: float | None
    practical_submitted: bool
    has_prerequisite: bool


RULES: dict[str, Callable[[Facts], list[Outcome]]] = {}


def rule(name: str):
    def deco(fn):
        RULES[name] = fn
        return fn
    return deco


def _hours(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


#: Slack for float sums of seconds / 3600 (0.3 h may add up to 0.29999999999999993).
_EPSILON = 1e-6


def _missing(value: float) -> str:
    """Hours still missing, rounded UP to 0.1: 0.04 h short reads "还差 0.1 学时", never "还差 0 学时"."""
    return _hours(max(0.1, math.ceil(value * 10 - _EPSILON) / 10))


def earned(value: float) -> str:
    """Hours earned as shown beside a requirement, rounded DOWN to 0.1, so that a teacher 0.04 h short never sees
    "1.0 of 1.0" next to an unmet requirement."""
    return f"{math.floor(value * 10 + _EPSILON) / 10:.1f}"


@rule("credit_hours_total")
def credit_hours_total(f: Facts) -> list[Outcome]:
    need = f.program.min_total_hours
    if need <= 0:
        return []
    missing = need - f.total_hours
    if missing > 1e-9:
        return [Outcome("credit_hours_total", False, _("还差 %(h)s 学时（总学时 %(need)s）", h=_missing(missing),
                                                          need=_hours(need)))]
    return [Outcome("credit_hours_total", True, _("总学时已满 %(need)s", need=_hours(need)))]


@rule("course_hours")
def course_hours(f: Facts) -> list[Outcome]:
    out = []
    for pc in f.program.courses:
        if pc.min_hours <= 0:
            continue
        missing = pc.min_hours - f.course_hours.get(pc.course_id, 0.0)
        if missing > 1e-9:
            out.append(Outcome("course_hours", False, _("还差 %(h)s 学时：%(course)s", h=_missing(missing),
                                                       course=pc.course.title)))
        else:
            out.append(Outcome("course_hours", True, _("%(course)s 学时已满", course=pc.course.title)))
    return out


@rule("exam_passed")
def exam_passed(f: Facts) -> list[Outcome]:
    if f.program.exam_id is None:
        return []
    if f.exam_passed:
        return [Outcome("exam_passed", True, _("结业考试已通过"))]
    return [Outcome("exam_passed", False, _("结业考试尚未通过"))]


@rule("practical_task")
def practical_task(f: Facts) -> list[Outcome]:
    title = f.program.practical_title
    if not title:
        return []
    if f.practical_score is not None and f.practical_score >= f.program.practical_pass_score:
        return [Outcome("practical_task", True, _("实践任务已合格：%(t)s", t=title))]
    if f.practical_score is not None:
        return [Outcome("practical_task", False, _("实践任务未达到 %(s)s 分：%(t)s",
                                                   s=_hours(f.program.practical_pass_score), t=title))]
    if f.practical_submitted:
        return [Outcome("practical_task", False, _("实践任务待评审：%(t)s", t=title))]
    return [Outcome("practical_task", False, _("尚未提交实践任务：%(t)s", t=title))]


@rule("prerequisite")
def prerequisite(f: Facts) -> list[Outcome]:
    level = f.program.prerequisite_level
    if level is None:
        return []
    if f.has_prerequisite:
        return [Outcome("prerequisite", True, _("已取得%(level)s证书", level=level.name))]
    return [Outcome("prerequisite", False, _("需先取得%(level)s证书", level=level.name))]


def evaluate(facts: Facts) -> list[Outcome]:
    """All outcomes of all rules, in registry order."""
    return [outcome for check in RULES.values() for outcome in check(facts)]
