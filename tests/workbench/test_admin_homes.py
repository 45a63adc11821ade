"""The admins' workbenches: today's figures (Beijing day) for the platform admin, the school's own figures and
its pending activations for a school admin; real data, each figure a link, statements constant."""
from __future__ import annotations

import itertools
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.auth import services as auth
from app.certification import services as certification
from app.certification.models import TeacherLevel
from app.core import clock
from app.courses import services as courses
from app.extensions import db
from tests import factories
from tests.courses import builders as course_builders

_seq = itertools.count(1)
# 01:00 in Beijing on 8 March is 17:00 UTC on 7 March: the UTC date and the Beijing date differ.
BEIJING_MORNING = datetime(2026, 3, 7, 17, 0, tzinfo=timezone.utc)


@pytest.fixture
def frozen():
    yield clock.set_now
    clock.set_now(None)


def _figure(page: str, label: str) -> str:
    m = re.search(re.escape(label) + r'</div>\s*<div class="stat-value">(.*?)</div>', page, flags=re.S)
    assert m, label
    return m.group(1)


def _number(cell: str) -> str:
    return re.sub(r"<[^>]+>", "", cell).strip()


def _program():
    level = db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)).first()
    course = courses.create_course(title="工学一体化课程教学实施", kind="training_course", is_shared=True)
    return certification.save_program(key="wb", title="看板项目", level=level, courses=[(course, 0)])


def _imported(school):
    """A student imported without a password, holding a fresh activation code."""
    user = auth.create_user(username=f"imp{next(_seq):04d}", roles=["student"], full_name="导入学生", school=school)
    auth.issue_activation_code(user)
    return user


def test_beijing_day_bounds_follow_the_beijing_calendar(frozen):
    frozen(BEIJING_MORNING)
    assert clock.local_today().isoformat() == "2026-03-08"
    start, end = clock.utc_range_of_local_days(clock.local_today(), clock.local_today())
    assert (start, end) == (datetime(2026, 3, 7, 16, 0), datetime(2026, 3, 8, 16, 0))


def test_platform_admin_sees_todays_figures_of_the_beijing_day_with_links(client, login_as, frozen):
    frozen(datetime(2026, 3, 7, 15, 0, tzinfo=timezone.utc))  # 23:00 in Beijing on the 7th: yesterday
    factories.user("student")
    db.session.commit()
    frozen(BEIJING_MORNING)
    teachers = [factories.user("teacher") for _ in range(2)]
    prog = _program()
    certification.enroll(prog, teachers[0])
    certification.issue_certificate(prog, teachers[0])
    db.session.commit()
    admin = factories.user("platform_admin")
    db.session.commit()
    login_as(user=admin)
    page = client.get("/home").get_data(as_text=True)
    assert 'data-testid="today"' in page
    # Today (Beijing): the two teachers and the admin, not the student of the evening before.
    assert _number(_figure(page, "今日新增用户")) == "3"
    assert _number(_figure(page, "今日提交的答卷")) == "0"
    assert _number(_figure(page, "今日颁发的证书")) == "1"
    assert 'href="/users"' in _figure(page, "今日新增用户")
    assert 'href="/exams"' in _figure(page, "今日提交的答卷")
    assert 'href="/progress"' in _figure(page, "今日颁发的证书")


def test_school_admin_sees_the_schools_figures_and_pending_activations(client, login_as):
    school = factories.school()
    other = factories.school()
    admin = factories.user("school_admin", school_=school)
    prog = _program()
    trained, certified = factories.user("teacher", school_=school), factories.user("teacher", school_=school)
    certification.enroll(prog, trained)
    certification.enroll(prog, certified)
    certification.issue_certificate(prog, certified)
    certification.enroll(prog, factories.user("teacher", school_=other))  # another school: not counted
    teacher = factories.user("teacher", school_=school)
    course_builders.course(teacher, students=1)  # running
    course_builders.course(teacher)  # no learner yet: not running
    course_builders.course(factories.user("teacher", school_=other), students=1)
    for _ in range(2):
        _imported(school)
    _imported(other)
    db.session.commit()
    login_as(user=admin)
    page = client.get("/home").get_data(as_text=True)
    assert _number(_figure(page, "在训教师")) == "1"
    assert _number(_figure(page, "已获证书")) == "1"
    assert _number(_figure(page, "开课中的课程")) == "1"
    assert f'href="/progress/schools/{school.id}"' in _figure(page, "在训教师")
    items = client.get("/api/v1/me/todo").get_json()["items"]
    assert [i["kind"] for i in items] == ["auth.activation"]
    assert "2 名" in items[0]["title"] and items[0]["due_at"]
    assert items[0]["url"].startswith("/users?")


def test_admin_workbenches_cost_a_constant_number_of_statements(client, login_as, count_queries):
    school = factories.school()
    admin = factories.user("school_admin", school_=school)
    db.session.commit()
    login_as(user=admin)
    with count_queries() as small:
        assert client.get("/home").status_code == 200
    prog = _program()
    for _ in range(3):
        t = factories.user("teacher", school_=school)
        certification.enroll(prog, t)
        certification.issue_certificate(prog, t)
        course_builders.course(t, students=2)
        _imported(school)
    db.session.commit()
    with count_queries() as large:
        page = client.get("/home").get_data(as_text=True)
    assert _number(_figure(page, "已获证书")) == "3"
    assert large.count == small.count <= 12, "\n".join(s[:150] for s in large.statements)

    client.form("/logout", token_from="/home")
    login_as("platform_admin")
    assert client.get("/home").status_code == 200  # the first request fills the national progress snapshot
    with count_queries() as platform:
        assert client.get("/home").status_code == 200
    factories.user("student")
    db.session.commit()
    with count_queries() as more:
        assert client.get("/home").status_code == 200
    # One statement per reviewable kind in the queue (job posts joined the review registry): constant in the data.
    from app.review.registry import KINDS

    assert more.count == platform.count <= 15 + len(KINDS), more.statements
