"""The demo seed puts a work task on the demo class course with the demo student part way through."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.tasks import services
from app.tasks.models import TaskAssignment


def test_demo_seed_has_the_student_implementing_after_plan_approval(runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "演示工作任务：工作任务" in result.output
    a = db.session.scalar(select(TaskAssignment).where(TaskAssignment.title.like("盘式制动器检修%")))
    from app.auth import services as auth

    student = auth.find_user("student")
    sub = services.submission_of(a, student)
    states = {s.key: services.stage_row(sub, s).state for s in a.stages}
    assert states["decide"] == "approved" and states["implement"] == "open" and states["check"] == "locked"
    assert services.latest_answers(sub, next(s for s in a.stages if s.key == "implement"))
    again = runner.invoke(args=["demo", "seed"])
    assert "演示工作任务：已存在" in again.output
