"""Delivery options: one question at a time with or without going back (server-enforced), and the integrity log
an exam page reports — shown to the teacher with Beijing times, refused on someone else's attempt, never graded."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.core import clock
from app.exams import services
from app.exams.models import Attempt, IntegrityEvent
from app.extensions import db
from tests import factories
from tests.exams import builders


def _setup(app, login_as, **exam_fields):
    teacher = factories.user("teacher")
    student = factories.user("student", school_=teacher.school)
    bank = builders.bank()
    qs = [builders.question(bank, "single_choice") for _ in range(3)]
    exam = builders.fixed_exam(qs, students=[student], creator=teacher, **exam_fields)
    db.session.commit()
    student_client = app.test_client()
    login_as(user=student, client_=student_client)
    teacher_client = app.test_client()
    login_as(user=teacher, client_=teacher_client)
    return exam, student, student_client, teacher_client


def _start(c, exam):
    response = c.form(f"/exams/{exam.id}/start", {}, token_from=f"/exams/{exam.id}")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1].split("?")[0])


def _event(c, attempt_id, kind, tab="tab-aaaaaaaa", token_page=None):
    token = c.csrf_token(token_page or f"/attempts/{attempt_id}")
    return c.post(f"/api/v1/attempts/{attempt_id}/events", json={"kind": kind, "tab": tab},
                  headers={"X-CSRFToken": token})


def test_the_exam_page_reports_events_and_the_teacher_sees_them_in_beijing_time(app, login_as):
    exam, student, sc, tc = _setup(app, login_as)
    assert "复制、粘贴" in sc.get(f"/exams/{exam.id}").get_data(as_text=True)  # said before starting
    clock.set_now(clock.from_local(clock.parse_local_input("2026-12-08T09:00")))
    try:
        attempt_id = _start(sc, exam)
        page = sc.get(f"/attempts/{attempt_id}").get_data(as_text=True)
        assert "data-events-url" in page and "exam-integrity.js" in page and "不参与评分" in page
        clock.set_now(clock.from_local(clock.parse_local_input("2026-12-08T09:15")))
        for kind in ("open", "hidden", "copy", "paste", "fullscreen_exit", "blur"):
            assert _event(sc, attempt_id, kind).status_code == 201
        # Another tab (or device) opening the same attempt is recorded by the server.
        response = _event(sc, attempt_id, "open", tab="tab-bbbbbbbb")
        assert response.get_json()["recorded"] == ["open", "second_session"]
        body = tc.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    finally:
        clock.set_now(None)
    log = re.search(r"<table[^>]*data-integrity-log.*?</table>", body, re.S).group(0)
    assert "2026-12-08 09:15" in log  # 01:15 UTC shown as Beijing time
    for label in ("切换到其他页面或窗口", "复制", "粘贴", "退出全屏", "失去焦点", "在另一设备或标签页打开了同一答卷",
                  "第 2 个页面"):
        assert label in log
    assert "hidden" not in log and "second_session" not in log
    # The exam page counts each attempt's entries (the page opens are not counted) and links to the log.
    listing = tc.get(f"/exams/{exam.id}").get_data(as_text=True)
    cell = re.search(r'<td data-testid="integrity-count">(.*?)</td>', listing, re.S).group(1)
    assert "6 条" in cell  # 5 from the page, 1 second session and f"/attempts/{attempt_id}" in cell


def test_the_endpoint_refuses_another_users_attempt_as_missing(app, login_as):
    exam, student, sc, tc = _setup(app, login_as)
    attempt_id = _start(sc, exam)
    intruder = factories.user("student", school_=student.school)
    db.session.commit()
    ic = app.test_client()
    login_as(user=intruder, client_=ic)
    response = _event(ic, attempt_id, "copy", token_page="/my/exams")
    assert response.status_code == 404
    assert _event(ic, 999999, "copy", token_page="/my/exams").status_code == 404
    assert db.session.scalar(select(IntegrityEvent.id).where(IntegrityEvent.attempt_id == attempt_id)) is None


def test_bad_kinds_missing_csrf_and_closed_attempts_are_refused(app, login_as):
    exam, student, sc, tc = _setup(app, login_as)
    attempt_id = _start(sc, exam)
    assert _event(sc, attempt_id, "second_session").status_code == 400  # only the server finds that
    assert _event(sc, attempt_id, "screenshot").status_code == 400
    no_csrf = sc.post(f"/api/v1/attempts/{attempt_id}/events", json={"kind": "copy", "tab": "tab-aaaaaaaa"})
    assert no_csrf.status_code == 400
    services.close_attempt(attempt_id, closed_by="student", user_id=student.id)
    db.session.commit()
    assert _event(sc, attempt_id, "copy", token_page=f"/exams/{exam.id}").status_code == 409


def test_the_log_never_changes_the_grade(app, login_as):
    exam, student, sc, tc = _setup(app, login_as)
    attempt_id = _start(sc, exam)
    for kind in ("open", "hidden", "copy", "paste"):
        _event(sc, attempt_id, kind)
    _event(sc, attempt_id, "open", tab="tab-cccccccc")
    attempt = db.session.get(Attempt, attempt_id)
    for item in attempt.items:
        services.store_response(services.load_save_target(attempt_id, item.slot, student.id), "A", 1)
    db.session.commit()
    services.close_attempt(attempt_id, closed_by="student", user_id=student.id)
    db.session.commit()
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.score == attempt.max_score and attempt.passed


def test_one_question_at_a_time_with_going_back(app, login_as):
    exam, student, sc, tc = _setup(app, login_as, one_at_a_time=True, allow_back=True)
    attempt_id = _start(sc, exam)
    page = sc.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count('class="exam-item') == 1 and "第 1 题，共 3 题" in page and "下一题" in page
    assert ">上一题<" not in page
    moved = sc.form(f"/attempts/{attempt_id}/goto", {"slot": 2}, token_from=f"/attempts/{attempt_id}")
    assert moved.headers["Location"].endswith("?q=2")
    page = sc.get(f"/attempts/{attempt_id}?q=2").get_data(as_text=True)
    assert "第 2 题，共 3 题" in page and ">上一题<" in page and 'data-slot="2"' in page
    back = sc.form(f"/attempts/{attempt_id}/goto", {"slot": 1}, token_from=f"/attempts/{attempt_id}")
    assert back.headers["Location"].endswith("?q=1")
    token = sc.csrf_token(f"/attempts/{attempt_id}")
    saved = sc.put(f"/api/v1/attempts/{attempt_id}/items/1", json={"response": "A", "seq": 1},
                   headers={"X-CSRFToken": token})
    assert saved.status_code == 200


def test_one_question_at_a_time_without_going_back_is_enforced_by_the_server(app, login_as):
    exam, student, sc, tc = _setup(app, login_as, one_at_a_time=True, allow_back=False)
    attempt_id = _start(sc, exam)
    sc.form(f"/attempts/{attempt_id}/goto", {"slot": 2}, token_from=f"/attempts/{attempt_id}")
    # Asking for question 1 in the address shows question 2; there is no 上一题.
    page = sc.get(f"/attempts/{attempt_id}?q=1").get_data(as_text=True)
    assert 'data-slot="2"' in page and 'data-slot="1"' not in page and ">上一题<" not in page
    assert "不能返回上一题" in page
    back = sc.form(f"/attempts/{attempt_id}/goto", {"slot": 1}, token_from=f"/attempts/{attempt_id}",
                   follow_redirects=True)
    assert "不能回到已离开的题目" in back.get_data(as_text=True)
    token = sc.csrf_token(f"/attempts/{attempt_id}")
    late = sc.put(f"/api/v1/attempts/{attempt_id}/items/1", json={"response": "A", "seq": 1},
                  headers={"X-CSRFToken": token})
    assert late.status_code == 409 and "不能返回" in late.get_json()["error"]["message"]
    ahead = sc.put(f"/api/v1/attempts/{attempt_id}/items/3", json={"response": "A", "seq": 1},
                   headers={"X-CSRFToken": token})
    assert ahead.status_code == 409
    now = sc.put(f"/api/v1/attempts/{attempt_id}/items/2", json={"response": "A", "seq": 1},
                 headers={"X-CSRFToken": token})
    assert now.status_code == 200


def test_delivery_settings_are_on_the_edit_form_and_freeze_after_the_first_attempt(app, login_as):
    exam, student, sc, tc = _setup(app, login_as)
    form = tc.get(f"/exams/{exam.id}/edit").get_data(as_text=True)
    assert 'name="one_at_a_time"' in form and 'name="allow_back"' in form
    services.update_exam(exam, one_at_a_time=True, allow_back=False)
    db.session.commit()
    _start(sc, exam)
    try:
        services.update_exam(exam, one_at_a_time=False)
    except Exception as exc:  # noqa: BLE001
        assert "逐题作答的设置不能再修改" in exc.message
    else:
        raise AssertionError("changed after the first attempt")
    db.session.rollback()
