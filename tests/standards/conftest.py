"""Helpers to build course standards through the real import service."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.review import services as review
from app.standards import yamlio
from tests import factories


def standard_data(courses: int = 2, tasks: int = 2, *, profession: str = "cnc-machining", level: str = "advanced",
                  title: str = "数控加工专业（高级技能）课程标准", hours_per_task: int = 10) -> dict:
    return {
        "profession": profession, "level": level, "title": title,
        "sections": {"objectives": "培养**数控车工**。", "assessment": "过程性评价 60%"},
        "courses": [{"code": f"C{c}", "name": f"一体化课程{c}", "hours": tasks * hours_per_task,
                     "task_description": f"典型工作任务{c}",
                     "tasks": [{"code": f"C{c}-T{t}", "name": f"学习任务{c}-{t}", "hours": hours_per_task,
                                "objectives": f"能完成零件{c}-{t}的加工\n能检测尺寸"} for t in range(tasks)]}
                    for c in range(courses)],
    }


@pytest.fixture
def make_standard():
    """``make_standard(courses, tasks, approve=True)`` imports a standard and (optionally) publishes it."""
    def _make(courses=2, tasks=2, *, approve=True, **kwargs):
        version, _changed = yamlio.import_standard(yamlio.validate(standard_data(courses, tasks, **kwargs)))
        if approve:
            review.submit(version, factories.user("platform_admin"))
            review.approve(version, factories.user("reviewer"))
        db.session.commit()
        return version

    return _make
