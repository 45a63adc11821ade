"""Times are stored in UTC and shown, printed and exported in the configured zone (GX_TIMEZONE, default
Asia/Shanghai); a date-only value is the local date.

The clock is frozen at 2026-03-01 19:30 UTC, which is 2026-03-02 03:30 in Beijing: every date a person reads
must say 2 March (the UTC date, 1 March, is the bug), every time 03:30 (19:30 is the bug).
"""
from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import date, datetime, timezone
from urllib.parse import unquote

import pypdf
import pytest
from sqlalchemy import select

from app import create_app
from app.core import clock
from app.extensions import db
from tests import factories

FROZEN = datetime(2026, 3, 1, 19, 30, tzinfo=timezone.utc)  # 2026-03-02 03:30 Beijing time


@pytest.fixture
def beijing_morning():
    clock.set_now(FROZEN)
    yield FROZEN


def _pdf_text(data: bytes) -> str:
    return re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))


# -- the helper ------------------------------------------------------------------------------------------------

def test_the_clock_gives_local_dates_and_parses_local_input(app, beijing_morning):
    with app.app_context():
        assert clock.now() == FROZEN
        assert clock.local_now().strftime("%Y-%m-%d %H:%M") == "2026-03-02 03:30"
        assert clock.local_today() == clock.today() == date(2026, 3, 2)
        assert clock.to_local(FROZEN.replace(tzinfo=None)).hour == 3  # SQLite's naive values are UTC
        assert clock.local_date(FROZEN) == date(2026, 3, 2)
        assert clock.parse_local_input("2026-03-02T11:00") == datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
        assert clock.local_input(datetime(2026, 3, 2, 3, 0)) == "2026-03-02T11:00"
        assert clock.utc_range_of_local_days(date(2026, 3, 2), date(2026, 3, 2)) == (
            datetime(2026, 3, 1, 16, 0), datetime(2026, 3, 2, 16, 0))
        assert clock.stamp() == "20260302"
        assert clock.zone_header("提交时间") == "提交时间（北京时间）"


def test_gx_timezone_drives_the_zone_and_a_typo_stops_the_start(monkeypatch, tmp_path):
    monkeypatch.setenv("GX_TIMEZONE", "Asia/Tokyo")
    tokyo = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert tokyo.config["TIMEZONE"] == tokyo.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Tokyo"
    clock.set_now(FROZEN)
    try:
        with tokyo.app_context():
            assert clock.local_now().strftime("%H:%M") == "04:30"
            assert clock.zone_header("提交时间") == "提交时间（UTC+09:00）"  # not Beijing time: the offset is named
    finally:
        clock.set_now(None)
    monkeypatch.setenv("GX_TIMEZONE", "Asia/Beijng")
    with pytest.raises(RuntimeError, match="GX_TIMEZONE"):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})


# -- certificates: PDF, verify page, Open Badge ----------------------------------------------------------------

@pytest.fixture
def certificate(app, beijing_morning):
    from app.certification import services
    from app.certification.models import PracticalSubmission, TeacherLevel
    from app.courses import services as courses

    level = db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)).first()
    course = courses.create_course(title="工学一体化课程教学实施", kind="training_course", is_shared=True)
    program = services.save_program(key="p-time", title="初级培训", level=level, min_total_hours=2,
                                    courses=[(course, 2)], practical_title="学习任务分析与策划", validity_years=3)
    teacher = factories.user("teacher", full_name="欧阳小明")
    services.enroll(program, teacher)
    services.record_credit(teacher, seconds=2 * 3600, source="offline_training", evidence="file:sign-in.xlsx",
                           course_id=course.id)
    sub = PracticalSubmission(program_id=program.id, user_id=teacher.id, storage_key="t/x", original_name="x.pdf",
                              mime="application/pdf")
    db.session.add(sub)
    db.session.flush()
    services.review_practical(sub, factories.user("reviewer"), {"analysis": 30, "design": 30, "assessment": 15})
    cert = services.issue_certificate(program, teacher)
    db.session.commit()
    return cert, teacher


def test_a_certificate_issued_at_0330_beijing_time_bears_that_days_date(client, login_as, certificate):
    cert, teacher = certificate
    assert cert.issued_on == date(2026, 3, 2) and cert.expires_on == date(2029, 3, 2)
    assert "2026" in cert.serial  # the serial's year is the local year too
    # the verify page
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "2026年3月2日" in page and "2026年3月1日" not in page
    # the printed certificate
    login_as(user=teacher)
    pdf = client.get(f"/certificates/{cert.id}/certificate.pdf")
    assert pdf.status_code == 200
    text = _pdf_text(pdf.data)
    assert "发证日期：2026年3月2日" in text and "2026年3月1日" not in text
    # the Open Badge: its day starts at Beijing midnight (UTC midnight would be 08:00 the same day)
    token = client.get(f"/certificates/{cert.id}/credential.jwt").get_data(as_text=True)
    body = token.split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert payload["validFrom"] == "2026-03-02T00:00:00+08:00"
    assert payload["validUntil"] == "2029-03-02T23:59:59+08:00"
    assert payload["nbf"] == int(datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc).timestamp())
    assert payload["nbf"] <= FROZEN.timestamp()  # valid from the moment it was issued


# -- stage deadlines (datetime-local in, local time out) ------------------------------------------------------

def test_a_stage_deadline_typed_as_1100_is_stored_in_utc_and_shown_as_1100(app, client, login_as,
                                                                           beijing_morning):
    from app.tasks import services
    from tests.tasks import builders

    a, _course, teacher, (student,) = builders.assignment(students=1)
    db.session.commit()
    login_as(user=teacher)
    form = {f"name-{s.id}": s.name for s in a.stages}
    plan = builders.stage(a, "plan")
    form[f"due-{plan.id}"] = "2026-03-02T11:00"
    url = f"/tasks/{a.id}/stages"
    assert client.form(url, form, token_from=url).status_code == 302
    db.session.expire_all()
    assert clock.as_utc(plan.due_at) == datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
    editor = client.get(url).get_data(as_text=True)
    assert 'value="2026-03-02T11:00"' in editor  # the editor shows back what was typed
    learner = app.test_client()
    login_as(user=student, client_=learner)
    sub = services.submission_of(a, student)
    page = learner.get(f"/tasks/submissions/{sub.id}/stages/{plan.id}").get_data(as_text=True)
    assert "截止：2026-03-02 11:00" in page and "03:00" not in page


# -- exports: local times, the zone in the header, the local date in the file name --------------------------

def test_exam_results_export_times_are_local_and_labelled(client, login_as, beijing_morning):
    from app.exams import services
    from tests.exams import builders

    teacher = login_as("teacher")
    student = factories.user("student", school_=teacher.school)
    bank = builders.bank()
    exam = builders.fixed_exam([builders.question(bank, "single_choice")], students=[student], creator=teacher)
    attempt, _ = services.start_attempt(exam, student)
    services.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    db.session.commit()
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/exams/{exam.id}/results.{fmt}")
        assert response.status_code == 200
        assert "20260302" in unquote(response.headers["Content-Disposition"])
    text = client.get(f"/exams/{exam.id}/results.csv").get_data(as_text=True).lstrip("\ufeff")
    header, row = list(csv.reader(io.StringIO(text)))[:2]
    assert "开始时间（北京时间）" in header and "交卷时间（北京时间）" in header
    assert row[header.index("开始时间（北京时间）")] == "2026-03-02 03:30:00"
    assert row[header.index("交卷时间（北京时间）")] == "2026-03-02 03:30:00"


def test_every_datetime_in_a_download_is_written_in_local_time(app, beijing_morning):
    """The class: any export that hands a datetime to core.exports gets local time, never UTC text."""
    from openpyxl import load_workbook

    from app.core.exports import safe_cell, to_csv, to_xlsx

    with app.app_context():
        assert safe_cell(FROZEN) == safe_cell(FROZEN.replace(tzinfo=None)) == "2026-03-02 03:30:00"
        assert safe_cell(date(2026, 3, 2)) == "2026-03-02"
        assert "2026-03-02 03:30:00" in to_csv(["t"], [[FROZEN]]).decode("utf-8")
        sheet = load_workbook(io.BytesIO(to_xlsx(["t"], [[FROZEN]]))).active
        assert sheet.cell(row=2, column=1).value == "2026-03-02 03:30:00"


# -- default dates of forms ------------------------------------------------------------------------------------

def test_a_new_pages_effective_date_defaults_to_the_local_date(client, login_as, beijing_morning):
    from tests.workbooks import helpers

    author = login_as("teacher")
    wb = helpers.workbook(author)
    db.session.commit()
    page = client.get(f"/workbooks/{wb.id}/pages/new").get_data(as_text=True)
    assert re.search(r'name="effective_date"[^>]*value="2026-03-02"', page), page


def test_timestamps_on_pages_are_local(client, login_as, beijing_morning):
    """Every ``|datetime`` and ``|date`` on a page converts: the account page shows an API token's creation."""
    from app.auth import services as auth

    user = login_as("teacher")
    auth.issue_api_token(user, "手机")
    db.session.commit()
    page = client.get("/account").get_data(as_text=True)
    assert "2026-03-02 03:30" in page and "19:30" not in page
