"""The 百千万 dashboard: numbers per scope, drill-down, public summary, export, cache, constant SQL."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.certification import progress, services
from app.certification.models import TeacherLevel
from app.core import clock
from app.courses import services as courses
from app.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_cache():
    progress.clear_cache()
    yield
    progress.clear_cache()


def _certify(prog, teacher):
    services.enroll(prog, teacher)
    return services.issue_certificate(prog, teacher)


@pytest.fixture
def prog(app):
    level = db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)).first()
    course = courses.create_course(title="工学一体化课程教学实施", kind="training_course", is_shared=True)
    return services.save_program(key="dash", title="看板项目", level=level, courses=[(course, 0)])


def _populate(prog, n_schools=2, per_school=2):
    schools = [factories.school(province="广东省" if i % 2 == 0 else "江苏省") for i in range(n_schools)]
    for school in schools:
        for _ in range(per_school):
            _certify(prog, factories.user("teacher", school_=school))
    db.session.commit()
    return schools


def test_national_numbers_and_drill_down(client, login_as, prog):
    clock.set_now(datetime(2024, 3, 10, tzinfo=timezone.utc))  # inside phase 2
    schools = _populate(prog)
    login_as("platform_admin")
    page = client.get("/progress").get_data(as_text=True)
    summary = progress.summary_for(progress.Scope())
    teachers = next(t for t in summary.targets if t["metric"] == "certified_teachers")
    assert teachers["value"] >= 4 and teachers["target"] == 10000
    phase2 = next(p for p in summary.phases if p["name"] == "第二阶段")
    assert phase2["target"] == 3500 and phase2["value"] >= 4
    assert "10,000" in page and "3,500" in page and "广东省" in page
    province = client.get("/progress/provinces/广东省").get_data(as_text=True)
    assert schools[0].name in province and schools[1].name not in province
    learner = factories.user("teacher", school_=schools[0], full_name="学习中的老师")
    services.enroll(prog, learner)
    services.record_credit(learner, seconds=5400, source="offline_training", evidence="offline_session:1",
                           course_id=prog.courses[0].course_id)
    prog.min_total_hours = 4
    db.session.commit()
    school_page = client.get(f"/progress/schools/{schools[0].id}").get_data(as_text=True)
    assert "本校参训教师" in school_page and "已发证 GX-2024-" in school_page
    row = school_page.split("学习中的老师")[1].split("</tr>")[0]
    assert "1.5 / 4.0" in row and "学习中" in row  # the drill-down shows each teacher's progress
    assert 'data-chart="line"' in page and "js/certification.js" in page and "<script>" not in page


def test_a_revoked_certificate_is_not_shown_as_issued(client, login_as, prog):
    school = factories.school()
    kept, revoked = (factories.user("teacher", school_=school) for _ in range(2))
    kept_cert, bad_cert = _certify(prog, kept), _certify(prog, revoked)
    services.revoke_certificate(bad_cert, "培训记录造假", None)
    db.session.commit()
    login_as("school_admin", school_=school)
    page = client.get(f"/progress/schools/{school.id}").get_data(as_text=True)
    assert f"已发证 {kept_cert.serial}" in page
    assert f"证书已撤销 {bad_cert.serial}" in page and f"已发证 {bad_cert.serial}" not in page


def test_the_holder_of_a_revoked_certificate_reads_that_it_is_revoked(client, login_as, prog):
    teacher = login_as("teacher")
    cert = _certify(prog, teacher)
    db.session.commit()
    assert f"已取得证书 {cert.serial}" in client.get(f"/training/{prog.id}").get_data(as_text=True)
    services.revoke_certificate(cert, "培训记录造假", None)
    db.session.commit()
    page = client.get(f"/training/{prog.id}").get_data(as_text=True)
    assert f"证书 {cert.serial} 已被撤销" in page and "已取得证书" not in page


def test_school_admin_sees_only_own_school(client, login_as, prog):
    schools = _populate(prog)
    admin = login_as("school_admin", school_=schools[0])
    assert client.get("/progress").headers["Location"].endswith(f"/progress/schools/{admin.school_id}")
    assert client.get(f"/progress/schools/{schools[1].id}").status_code == 403
    assert client.get("/progress/provinces/广东省").status_code == 403


def test_public_page_shows_national_summary_without_teachers(client, prog):
    schools = _populate(prog)
    page = client.get("/targets").get_data(as_text=True)
    assert client.get("/targets").status_code == 200
    assert "培训工学一体化教师" in page and "10,000" in page
    assert schools[0].name not in page and "导出" not in page


def test_export_has_the_same_numbers_as_the_page(client, login_as, prog):
    _populate(prog)
    login_as("platform_admin")
    summary = progress.summary_for(progress.Scope())
    response = client.get("/progress/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    teachers = next(t for t in summary.targets if t["metric"] == "certified_teachers")
    assert ["目标", teachers["name"], teachers["value"], teachers["target"], f"{teachers['percent']}%"] in rows


def test_export_speaks_the_readers_language(client, login_as, prog):
    _populate(prog)
    login_as("platform_admin")
    client.form("/locale/en", {}, token_from="/progress")
    response = client.get("/progress/export.xlsx")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    categories = {row[0].value for row in sheet.iter_rows(min_row=2)}
    assert {"Target", "By province"} <= categories and "目标" not in categories


def test_numbers_are_cached_for_a_minute_and_statements_constant(client, login_as, prog, count_queries, app):
    _populate(prog, n_schools=1, per_school=1)
    login_as("platform_admin")
    with count_queries() as first:
        client.get("/progress")
    with count_queries() as cached:
        client.get("/progress")
    assert cached.count < first.count
    _populate(prog, n_schools=6, per_school=3)
    progress.clear_cache()
    with count_queries() as bigger:
        client.get("/progress")
    assert bigger.count == first.count
    before = progress.summary_for(progress.Scope())
    _populate(prog, n_schools=1, per_school=1)
    assert progress.summary_for(progress.Scope()) is before  # within the minute: the cached numbers
    app.config["CERT_DASHBOARD_TTL"] = 0
    try:
        after = progress.summary_for(progress.Scope())
    finally:
        app.config.pop("CERT_DASHBOARD_TTL")
    assert after.targets[-1]["value"] >= before.targets[-1]["value"]
    assert next(t for t in after.targets if t["metric"] == "certified_teachers")["value"] == \
        next(t for t in before.targets if t["metric"] == "certified_teachers")["value"] + 1


def test_projection_uses_recent_pace_and_never_goes_past_the_deadline(app, prog):
    clock.set_now(datetime(2025, 6, 1, tzinfo=timezone.utc))
    _populate(prog, n_schools=1, per_school=3)
    summary = progress.compute(progress.Scope())
    assert summary.rate_per_month == 1.0
    # 1 teacher a month cannot bring ~10,000 by 2025-12-31: no projected date (it used to say the year 2835)
    assert summary.projected is None
    teachers = next(t for t in summary.targets if t["metric"] == "certified_teachers")
    assert teachers["outlook"]["state"] == "behind" and teachers["outlook"]["needed"] > 1000
    assert summary.trend[-1][0] == "2025-06"


def test_school_page_and_programs_list_statement_counts_are_constant(client, login_as, prog, count_queries):
    school = factories.school()
    _certify(prog, factories.user("teacher", school_=school))
    db.session.commit()
    login_as("platform_admin")
    progress.clear_cache()
    with count_queries() as few:
        client.get(f"/progress/schools/{school.id}")
    with count_queries() as few_programs:
        client.get("/training")
    level = prog.level
    for i in range(4):
        other = services.save_program(key=f"more-{i}", title=f"更多项目{i}", level=level, courses=list(
            (pc.course, 0) for pc in prog.courses))
        _certify(other, factories.user("teacher", school_=school))
    for _ in range(5):
        _certify(prog, factories.user("teacher", school_=school))
    db.session.commit()
    progress.clear_cache()
    with count_queries() as many:
        client.get(f"/progress/schools/{school.id}")
    with count_queries() as many_programs:
        client.get("/training")
    assert few.count == many.count
    assert few_programs.count == many_programs.count
