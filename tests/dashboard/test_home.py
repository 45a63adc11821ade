"""The platform admin's home page shows the 百千万 targets with the same numbers as the national dashboard."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.certification import progress, services
from app.certification.models import TeacherLevel
from app.courses import services as courses
from app.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_cache(app):
    progress.clear_cache()
    yield
    progress.clear_cache()


def _bars(html: str) -> dict[str, str]:
    """{target name: "value / target"} of the progress bars on a page."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return {name: figure for name, figure in re.findall(r"(工学一体化专业|参与工学一体化的技工院校|培训工学一体化教师) "
                                                         r"([\d,]+ / [\d,]+)", text)}


def test_admin_home_and_national_dashboard_show_the_same_targets(client, login_as):
    level = db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)).first()
    course = courses.create_course(title="工学一体化课程教学实施", kind="training_course", is_shared=True)
    program = services.save_program(key="home-1", title="首页项目", level=level, courses=[(course, 0)])
    # a school with a teacher in training but no integrated_since date takes part all the same
    school = factories.school(integrated_since=None)
    teacher = factories.user("teacher", school_=school)
    services.enroll(program, teacher)
    services.issue_certificate(program, teacher)
    db.session.commit()
    login_as("platform_admin")
    home = _bars(client.get("/home").get_data(as_text=True))
    national = _bars(client.get("/progress").get_data(as_text=True))
    assert set(home) == {"工学一体化专业", "参与工学一体化的技工院校", "培训工学一体化教师"}
    assert home == national
    summary = progress.summary_for(progress.Scope())
    schools = next(t for t in summary.targets if t["metric"] == "schools")
    assert home["参与工学一体化的技工院校"] == f"{schools['value']:,} / 1,000"
