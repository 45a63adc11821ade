"""Offline training (线下培训) recorded by an administrator: the session with its attendance file, attendees
imported from CSV/XLSX (all or nothing, row errors, re-import adds nothing) or ticked, one ledger line each."""
from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from app.certification.models import CreditHourEntry, OfflineSession
from app.courses import services as courses
from app.extensions import db
from tests import factories
from tests.media import samples


@pytest.fixture
def course(app):
    made = courses.create_course(title="教学场所使用管理", kind="training_course", is_shared=True)
    db.session.commit()
    return made


def _lines(session_id: int) -> list[CreditHourEntry]:
    return list(db.session.scalars(select(CreditHourEntry).where(
        CreditHourEntry.evidence == f"offline_session:{session_id}").order_by(CreditHourEntry.user_id)))


def _create(client, course, title="集中培训：工学一体化课程开发") -> OfflineSession:
    response = client.form("/training/offline/new",
                           {"title": title, "held_on": "2026-03-10", "hours": "6", "course_id": str(course.id),
                            "program_id": "0", "attendance": (io.BytesIO(samples.pdf(7)), "签到表.pdf")},
                           token_from="/training/offline/new", content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return db.session.scalar(select(OfflineSession).where(OfflineSession.title == title))


def _csv(client, session, text: str, name="名单.csv"):
    url = f"/training/offline/{session.id}"
    return client.form(f"{url}/import", {"file": (io.BytesIO(text.encode("utf-8")), name)}, token_from=url,
                       content_type="multipart/form-data")


def test_admin_records_a_session_and_imports_attendees(client, login_as, course):
    admin = login_as("platform_admin")
    teachers = [factories.user("teacher") for _n in range(3)]
    db.session.commit()
    session = _create(client, course)
    assert session.hours == 6 and session.course_id == course.id and session.attendance_name == "签到表.pdf"
    assert session.attendance_key != "签到表.pdf"  # stored under a generated name
    download = client.get(f"/training/offline/{session.id}/attendance")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    sheet = "用户名,备注\n" + "\n".join(f"{t.username},第一组" for t in teachers) + "\n"
    response = _csv(client, session, sheet)
    assert response.status_code == 302
    lines = _lines(session.id)
    assert [line.user_id for line in lines] == sorted(t.id for t in teachers)
    assert all(line.source == "offline_training" and line.seconds == 6 * 3600 and line.course_id == course.id
               and line.created_by_id == admin.id and line.note == "第一组" for line in lines)
    page = client.get(f"/training/offline/{session.id}").get_data(as_text=True)
    assert all(t.username in page for t in teachers) and "参训教师（3）" in page
    listing = client.get("/training/offline").get_data(as_text=True)
    assert "集中培训：工学一体化课程开发" in listing


def test_reimporting_the_same_sheet_adds_nothing(client, login_as, course):
    login_as("platform_admin")
    teachers = [factories.user("teacher") for _n in range(2)]
    db.session.commit()
    session = _create(client, course)
    sheet = "用户名\n" + "\n".join(t.username for t in teachers) + "\n"
    _csv(client, session, sheet)
    again = _csv(client, session, sheet)
    assert again.status_code == 302
    assert len(_lines(session.id)) == 2
    followed = client.get(f"/training/offline/{session.id}").get_data(as_text=True)
    assert "已登记 0 名教师，2 名此前已登记。" in followed


def test_unknown_teachers_and_duplicate_rows_refuse_the_whole_sheet(client, login_as, course):
    login_as("platform_admin")
    known = factories.user("teacher")
    student = factories.user("student")
    db.session.commit()
    session = _create(client, course)
    sheet = f"用户名,备注\n{known.username},\nnobody,\n{known.username},\n{student.username},\n"
    response = _csv(client, session, sheet)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "名单有 3 行错误，未登记任何教师。" in text
    assert "第 3 行：找不到教师“nobody”" in text and "第 4 行：与第 2 行重复" in text and "第 5 行" in text
    assert _lines(session.id) == []
    assert _csv(client, session, "姓名\n张三\n").status_code == 200  # no 用户名 column
    assert _lines(session.id) == []


def test_xlsx_attendee_sheet(client, login_as, course):
    login_as("platform_admin")
    teacher = factories.user("teacher")
    db.session.commit()
    session = _create(client, course)
    book = openpyxl.Workbook()
    book.active.append(["用户名", "备注"])
    book.active.append([teacher.username, "迟到半小时"])
    out = io.BytesIO()
    book.save(out)
    url = f"/training/offline/{session.id}"
    response = client.form(f"{url}/import", {"file": (io.BytesIO(out.getvalue()), "名单.xlsx")}, token_from=url,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert [(line.user_id, line.note) for line in _lines(session.id)] == [(teacher.id, "迟到半小时")]


def test_school_admin_records_only_their_own_teachers(client, login_as, course, app):
    school_admin = login_as("school_admin")
    own = [factories.user("teacher", school_=school_admin.school) for _n in range(2)]
    other = factories.user("teacher")
    db.session.commit()
    session = _create(client, course, title="校内培训")
    assert session.school_id == school_admin.school_id
    refused = _csv(client, session, f"用户名\n{own[0].username}\n{other.username}\n")
    assert refused.status_code == 200 and "第 3 行" in refused.get_data(as_text=True)
    assert _lines(session.id) == []
    url = f"/training/offline/{session.id}"
    page = client.get(url).get_data(as_text=True)
    assert own[0].username in page and other.username not in page  # the tick list is the admin's school
    ticked = client.form(f"{url}/attendees", {"teacher_ids": [str(own[0].id), str(own[1].id)]}, token_from=url)
    assert ticked.status_code == 302
    assert {line.user_id for line in _lines(session.id)} == {own[0].id, own[1].id}
    forged = client.form(f"{url}/attendees", {"teacher_ids": [str(other.id)]}, token_from=url)
    assert forged.status_code == 400 and other.id not in {line.user_id for line in _lines(session.id)}

    # another school's admin cannot see or change the session
    stranger = app.test_client()
    login_as("school_admin", client_=stranger)
    assert stranger.get(url).status_code == 403
    assert stranger.get(f"{url}/attendance").status_code == 403
    assert stranger.form(f"{url}/import", {"file": (io.BytesIO(b"x"), "a.csv")}, token_from="/training",
                         content_type="multipart/form-data").status_code == 403
    assert "校内培训" not in stranger.get("/training/offline").get_data(as_text=True)


@pytest.mark.parametrize("role", ["teacher", "student", "reviewer"])
def test_offline_pages_are_forbidden_to_others(client, login_as, course, role):
    login_as(role)
    assert client.get("/training/offline").status_code == 403
    assert client.get("/training/offline/new").status_code == 403


def test_attendance_file_must_be_a_document_or_photo(client, login_as, course):
    login_as("platform_admin")
    response = client.form("/training/offline/new",
                           {"title": "伪装文件", "held_on": "2026-03-10", "hours": "3", "course_id": str(course.id),
                            "program_id": "0",
                            "attendance": (io.BytesIO(b"<html><script>alert(1)</script>"), "签到表.pdf")},
                           token_from="/training/offline/new", content_type="multipart/form-data")
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(OfflineSession.id)).where(OfflineSession.title == "伪装文件")) == 0


def test_session_page_statement_count_stays_constant(client, login_as, course, count_queries):
    login_as("platform_admin")
    session = _create(client, course)
    first = [factories.user("teacher") for _n in range(2)]
    db.session.commit()
    _csv(client, session, "用户名\n" + "\n".join(t.username for t in first) + "\n")
    url = f"/training/offline/{session.id}"
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    with count_queries() as few_list:
        assert client.get("/training/offline").status_code == 200
    more = [factories.user("teacher") for _n in range(6)]
    db.session.commit()
    _csv(client, session, "用户名\n" + "\n".join(t.username for t in more) + "\n")
    _create(client, course, title="第二次培训")
    with count_queries() as many:
        assert client.get(url).status_code == 200
    with count_queries() as many_list:
        assert client.get("/training/offline").status_code == 200
    assert many.count == few.count and many_list.count == few_list.count
