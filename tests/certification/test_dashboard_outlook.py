"""The 百千万 dashboard says in words whether the current pace reaches a target by its deadline (never a date
centuries away), and a province or school sees its own targets, or its figures without one, never the national
ones (1,000 schools at one school)."""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from app.certification import progress, services
from app.certification.models import Target, TeacherLevel
from app.core import clock
from app.core.content import ContentError, load_content
from app.courses import services as courses
from app.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_cache():
    progress.clear_cache()
    yield
    progress.clear_cache()


@pytest.fixture
def prog(app):
    level = db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)).first()
    course = courses.create_course(title="工学一体化课程教学实施", kind="training_course", is_shared=True)
    return services.save_program(key="outlook", title="看板项目", level=level, courses=[(course, 0)])


def _certify_on(prog, school, day: datetime, n: int = 1):
    clock.set_now(day)
    for _ in range(n):
        teacher = factories.user("teacher", school_=school)
        services.enroll(prog, teacher)
        services.issue_certificate(prog, teacher)
    db.session.commit()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- the outlook in words ----------------------------------------------------------------------------------------

def test_a_pace_that_misses_the_deadline_says_so_and_gives_the_rate_needed(client, login_as, prog):
    school = factories.school()
    _certify_on(prog, school, datetime(2025, 4, 10, tzinfo=timezone.utc), 3)  # 1 a month over three months
    clock.set_now(datetime(2025, 6, 1, 2, tzinfo=timezone.utc))
    login_as("platform_admin")
    page = _text(client.get("/progress").get_data(as_text=True))
    teachers = next(t for t in progress.summary_for(progress.Scope()).targets if t["metric"] == "certified_teachers")
    remaining = 10000 - teachers["value"]
    needed = math.ceil(remaining / ((date(2025, 12, 31) - date(2025, 6, 1)).days / 30.44))
    assert (f"按近三个月的速度（每月 1 人）无法在 2025年12月31日 前达成目标：还差 {remaining:,} 人，"
            f"每月需新增 {needed:,} 人。") in page
    assert "预计" not in page and not re.search(r"[3-9]\d{3}年", page)  # no date centuries away
    # the phase in progress (第三阶段, 5,000 人次 in 2025) gets the same treatment, in 人次
    assert re.search(r"无法在 2025年12月31日 前达成目标：还差 [\d,]+ 人次，每月需新增 [\d,]+ 人次。", page)


def test_a_pace_that_reaches_the_target_in_time_gives_the_date(client, login_as, prog):
    school = factories.school(province="浙江省")
    db.session.add(Target(key="zj-school-teachers", name="本校认证教师", metric="certified_teachers", value=5,
                          deadline=date(2025, 12, 31), school_id=school.id))
    _certify_on(prog, school, datetime(2025, 4, 10, tzinfo=timezone.utc), 3)
    clock.set_now(datetime(2025, 6, 1, 2, tzinfo=timezone.utc))
    login_as("school_admin", school_=school)
    page = _text(client.get(f"/progress/schools/{school.id}").get_data(as_text=True))
    # 2 more at 1 a month: about two months from 1 June, well before the deadline
    assert "按近三个月的速度（每月 1 人），预计 2025年8月1日 达成目标。" in page
    assert "本校认证教师" in page and "3 / 5" in page


def test_a_deadline_that_passed_short_of_the_target_says_so(client, login_as, prog):
    school = factories.school()
    _certify_on(prog, school, datetime(2025, 11, 10, tzinfo=timezone.utc), 2)
    clock.set_now(datetime(2026, 3, 1, 19, 30, tzinfo=timezone.utc))
    login_as("platform_admin")
    page = _text(client.get("/progress").get_data(as_text=True))
    remaining = 10000 - next(t["value"] for t in progress.summary_for(progress.Scope()).targets
                             if t["metric"] == "certified_teachers")
    assert f"截止日期 2025年12月31日 已过，未达成目标（还差 {remaining:,} 人）。" in page
    assert "预计" not in page


def test_no_projected_date_ever_lies_past_the_deadline():
    today, deadline = date(2025, 6, 1), date(2025, 12, 31)
    for rate in (0, 0.1, 1, 10, 100, 1000, 10000):
        for value in (0, 5000, 9999, 10000):
            o = progress.outlook(value, 10000, deadline, rate, today)
            if o["state"] == "on_track":
                assert today <= o["projected"] <= deadline
            elif o["state"] == "behind":
                # the rate needed, kept for the rest of the time, reaches the target by the deadline
                months = (deadline - today).days / 30.44
                assert o["needed"] > rate and value + o["needed"] * months >= 10000
            else:
                assert o["state"] == "reached" and value >= 10000


# -- targets by level --------------------------------------------------------------------------------------------

def test_school_and_province_pages_show_no_national_target(client, login_as, prog):
    school = factories.school(province="江苏省")
    _certify_on(prog, school, datetime(2025, 4, 10, tzinfo=timezone.utc), 2)
    clock.set_now(datetime(2025, 6, 1, tzinfo=timezone.utc))
    login_as("platform_admin")
    school_page = _text(client.get(f"/progress/schools/{school.id}").get_data(as_text=True))
    province_page = _text(client.get("/progress/provinces/江苏省").get_data(as_text=True))
    for page in (school_page, province_page):
        assert "10,000" not in page and "1,000" not in page and "5,000" not in page  # national figures
        assert "认证工学一体化教师 2 人" in page  # the figure, without a target
        assert "每月需新增" not in page and "预计" not in page  # nothing to reach: no outlook
    assert "参与工学一体化的技工院校" in province_page and "参与工学一体化的技工院校" not in school_page
    assert "工学一体化专业" not in school_page.replace("认证工学一体化教师", "")  # a national count
    summary = progress.summary_for(progress.Scope(school_id=school.id))
    assert [t["target"] for t in summary.targets] == [None] and all(p["target"] is None for p in summary.phases)
    export = client.get(f"/progress/export.xlsx?school={school.id}")
    assert export.status_code == 200


def test_a_province_target_loaded_from_content_is_shown_at_its_level_only(client, login_as, prog, tmp_path):
    (tmp_path / "targets.yaml").write_text(
        "targets:\n"
        "  - {key: js-teachers, name: 江苏省培训工学一体化教师, metric: certified_teachers, value: 800,"
        " deadline: 2025-12-31, province: 江苏省}\n", encoding="utf-8")
    load_content(str(tmp_path))
    school = factories.school(province="江苏省")
    _certify_on(prog, school, datetime(2025, 4, 10, tzinfo=timezone.utc), 2)
    clock.set_now(datetime(2025, 6, 1, tzinfo=timezone.utc))
    login_as("platform_admin")
    province_page = _text(client.get("/progress/provinces/江苏省").get_data(as_text=True))
    assert "江苏省培训工学一体化教师" in province_page and "2 / 800" in province_page
    assert "每月需新增" in province_page  # 800 by the end of 2025 at under 1 a month
    assert "江苏省培训工学一体化教师" not in client.get("/progress").get_data(as_text=True)
    assert "江苏省培训工学一体化教师" not in client.get("/progress/provinces/广东省").get_data(as_text=True)


@pytest.mark.parametrize("line, message", [
    ("{key: t1, name: 本校院校数, metric: schools, value: 1, school: SCHOOL}", "has no figure for a school"),
    ("{key: t2, name: 某校目标, metric: certified_teachers, value: 5, school: no-such-school}", "unknown school"),
    ("{key: t3, name: 专业数, metric: integrated_professions, value: 9, province: 江苏省}", "has no figure for a province"),
])
def test_content_refuses_a_target_that_has_no_meaning_at_its_level(app, tmp_path, line, message):
    school = factories.school()
    (tmp_path / "targets.yaml").write_text("targets:\n  - " + line.replace("SCHOOL", school.key) + "\n",
                                           encoding="utf-8")
    with pytest.raises(ContentError, match=message):
        load_content(str(tmp_path))


def test_a_snapshot_cached_before_the_outlook_existed_still_renders(app, prog):
    summary = progress.compute(progress.Scope())
    data = progress._encode(summary)
    del data["rate_per_month"]
    restored = progress._decode(data)
    assert restored.rate_per_month == 0.0  # the field's default
    assert restored.targets == progress._decode(progress._encode(summary)).targets
