"""学时 for completed training courses (source ``course_completion``): written once when the last activity is
done, through the ``results_changed`` signal; the teacher's 学时 page shows every line."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.certification import programs as admin
from app.certification import services
from app.certification.models import CreditHourEntry, TeacherLevel
from app.core.signals import results_changed
from app.courses import services as courses
from app.courses.models import ActivityCompletion
from app.extensions import db
from tests import factories


@pytest.fixture
def setup(app):
    """A program whose training course has two self-marked pages and is worth 3 学时 on completion."""
    level = db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)).first()
    course = courses.create_course(title="一体化课程教学设计", kind="training_course", is_shared=True)
    pages = [courses.add_activity(course, kind="page", title=f"阅读材料{n}", body="内容") for n in range(2)]
    program = services.save_program(key="completion-1", title="完课得学时", level=level, courses=[(course, 3)])
    admin.set_course_credit(course.id, 3)
    db.session.commit()
    return program, course, pages


def _completion_lines(user_id: int) -> list[CreditHourEntry]:
    return list(db.session.scalars(select(CreditHourEntry).where(CreditHourEntry.user_id == user_id,
                                                                 CreditHourEntry.source == "course_completion")))


def _read(client, course, page):
    url = f"/courses/{course.id}/activities/{page.id}"
    return client.form(f"{url}/done", {}, token_from=f"/courses/{course.id}")


def test_completing_the_last_activity_credits_the_course_once(client, login_as, setup):
    program, course, pages = setup
    teacher = login_as("teacher")
    services.enroll(program, teacher)
    db.session.commit()
    assert _read(client, course, pages[0]).status_code == 302
    assert _completion_lines(teacher.id) == []  # half done: nothing yet
    assert _read(client, course, pages[1]).status_code == 302
    lines = _completion_lines(teacher.id)
    assert [(line.seconds, line.course_id, line.evidence) for line in lines] == [(3 * 3600, course.id,
                                                                                 f"course:{course.id}")]
    # any later result change of the same learner (an exam graded, another mark) credits nothing more
    results_changed.send("exam", target_id=1, user_ids=[teacher.id])
    _read(client, course, pages[1])
    assert len(_completion_lines(teacher.id)) == 1
    assert services.hours_by_course(teacher.id, [course.id]) == {course.id: 3.0}
    page = client.get("/training/hours").get_data(as_text=True)
    assert "完成培训课程" in page and "一体化课程教学设计" in page and "3.00" in page


def test_an_exam_result_can_complete_the_course(app, setup):
    program, course, pages = setup
    teacher = factories.user("teacher")
    services.enroll(program, teacher)
    for page in pages:  # marks written without the signal (as a content load would)
        db.session.add(ActivityCompletion(activity_id=page.id, user_id=teacher.id, marked_by_id=teacher.id))
    db.session.flush()
    assert _completion_lines(teacher.id) == []
    results_changed.send("exam", target_id=123, user_ids=[teacher.id])
    assert len(_completion_lines(teacher.id)) == 1


def test_no_credit_without_a_value_or_an_active_enrollment(app, setup):
    program, course, pages = setup
    teacher, leaver = factories.user("teacher"), factories.user("teacher")
    for user in (teacher, leaver):
        services.enroll(program, user)
    admin.set_course_credit(course.id, 0)
    courses.set_marks(pages[0], [teacher.id, leaver.id], done=True, by=teacher)
    courses.set_marks(pages[1], [teacher.id, leaver.id], done=True, by=teacher)
    assert _completion_lines(teacher.id) == []  # the course is worth nothing
    enrollment = db.session.scalar(select(courses.Enrollment).where(courses.Enrollment.user_id == leaver.id))
    courses.unenrol(enrollment)
    admin.set_course_credit(course.id, 2)
    assert admin.credit_completed_courses([teacher.id, leaver.id]) == 1
    assert [line.seconds for line in _completion_lines(teacher.id)] == [2 * 3600]
    assert _completion_lines(leaver.id) == []
    assert admin.credit_completed_courses([teacher.id, leaver.id]) == 0


def test_hours_page_statement_count_stays_constant(client, login_as, setup, count_queries):
    program, course, _pages = setup
    teacher = login_as("teacher")
    other = courses.create_course(title="另一门培训课程", kind="training_course", is_shared=True)

    def add(n):
        for i in range(n):
            services.record_credit(teacher, seconds=1800, source="offline_training", evidence=f"offline_session:{i}",
                                   course_id=(course.id, other.id)[i % 2], note=f"培训{i}")
        db.session.commit()

    add(2)
    client.get("/training/hours")
    with count_queries() as few:
        assert client.get("/training/hours").status_code == 200
    add(8)
    with count_queries() as many:
        assert client.get("/training/hours").status_code == 200
    assert many.count == few.count
    total = db.session.scalar(select(func.sum(CreditHourEntry.seconds)).where(CreditHourEntry.user_id == teacher.id))
    assert total == 10 * 1800


@pytest.mark.parametrize("role", ["student", "school_admin"])
def test_hours_page_shows_only_the_signed_in_users_lines(client, login_as, role):
    someone = factories.user("teacher")
    services.record_credit(someone, seconds=3600, source="offline_training", evidence="offline_session:1",
                           note="别人的培训")
    db.session.commit()
    login_as(role)
    page = client.get("/training/hours").get_data(as_text=True)
    assert "还没有学时记录" in page and "别人的培训" not in page


def test_cli_sets_a_course_credit_and_catches_up_completions(runner, setup):
    program, course, pages = setup
    teacher = factories.user("teacher")
    services.enroll(program, teacher)
    for page in pages:  # completed without any signal (as video coverage does)
        db.session.add(ActivityCompletion(activity_id=page.id, user_id=teacher.id, marked_by_id=teacher.id))
    db.session.commit()
    result = runner.invoke(args=["certification", "course-credit", str(course.id), "1.5"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["certification", "credit-completions"])
    assert result.exit_code == 0 and "写入 1 条学时" in result.output
    assert [line.seconds for line in _completion_lines(teacher.id)] == [1.5 * 3600]
    again = runner.invoke(args=["certification", "credit-completions"])
    assert "写入 0 条学时" in again.output
    assert runner.invoke(args=["certification", "course-credit", "999999", "1"]).exit_code != 0


def test_watching_the_course_video_to_its_threshold_credits_the_course(app, client, make_video, bearer, frozen):
    """A training course whose only activity is a video: the heartbeat that brings coverage to the activity's
    percentage writes the course_completion line, with no catch-up command."""
    level = db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)).first()
    video = make_video(duration=100)
    course = courses.create_course(title="工学一体化教学视频课", kind="training_course", is_shared=True)
    courses.add_activity(course, kind="video", title="示范课", target_id=video.id, rule={"min_percent": 60})
    program = services.save_program(key="completion-video", title="看完得学时", level=level, courses=[(course, 2)])
    admin.set_course_credit(course.id, 2)
    teacher = factories.user("teacher")
    services.enroll(program, teacher)
    db.session.commit()
    headers = bearer(teacher)
    sid = client.post(f"/api/v1/videos/{video.id}/watch-sessions", headers=headers).get_json()["watch_session_id"]

    def beat(t):
        frozen.at(t)
        response = client.post(f"/api/v1/videos/{video.id}/heartbeat", headers=headers,
                               json={"watch_session_id": sid, "position": t, "playing": True, "rate": 1.0})
        assert response.get_json()["accepted"], response.get_json()

    for t in (0, 15, 30, 45):
        beat(t)
    assert _completion_lines(teacher.id) == []  # 45% watched
    beat(60)
    assert [line.evidence for line in _completion_lines(teacher.id)] == [f"course:{course.id}"]
    beat(75)
    assert len(_completion_lines(teacher.id)) == 1


def test_hours_page_shows_a_watch_session_as_one_row_with_its_video(client, login_as, make_video, frozen):
    """Each accepted heartbeat is a ledger line of ~15 s (0.004 学时, "0.00" on the page); the teacher reads one
    row per sitting, with the video's title and the hours it earned."""
    teacher = login_as("teacher")
    video = make_video(duration=1200)
    headers = _csrf_header(client, "/training/hours")  # any page carries the session's CSRF token
    sid = client.post(f"/api/v1/videos/{video.id}/watch-sessions", headers=headers).get_json()["watch_session_id"]
    for n in range(0, 41):  # 40 intervals of 15 s = 600 s
        frozen.at(15 * n)
        body = client.post(f"/api/v1/videos/{video.id}/heartbeat", headers=headers,
                           json={"watch_session_id": sid, "position": 15 * n, "playing": True, "rate": 1.0,
                                 "seq": n + 1}).get_json()
        assert body["accepted"], body
    assert db.session.scalar(select(func.count(CreditHourEntry.id)).where(CreditHourEntry.user_id == teacher.id)) == 40
    page = client.get("/training/hours").get_data(as_text=True)
    ledger = page.split('data-testid="ledger"')[1]
    assert ledger.count("<tr>") == 1 + 1  # the header and one row for the sitting
    assert f"视频：{video.title}" in ledger and "40 次计时" in ledger and "0.17" in ledger


def _csrf_header(client, url) -> dict:
    import re

    page = client.get(url).get_data(as_text=True)
    return {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)}


def test_the_database_refuses_a_second_completion_line_and_the_service_takes_it_as_credited(app, setup, monkeypatch):
    """Two requests completing the same course at once both pass the "already credited?" read before either
    writes. Simulated here by hiding the first line from that read: the partial unique index refuses the second
    line, the service counts nothing new, and the rest of the transaction survives."""
    from sqlalchemy.exc import IntegrityError

    program, course, pages = setup
    teacher = factories.user("teacher")
    services.enroll(program, teacher)
    courses.set_marks(pages[0], [teacher.id], done=True, by=teacher)
    courses.set_marks(pages[1], [teacher.id], done=True, by=teacher)
    assert len(_completion_lines(teacher.id)) == 1

    # the database itself refuses a second line for the same teacher and course ...
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(CreditHourEntry(user_id=teacher.id, seconds=3600, source="course_completion",
                                       evidence=f"course:{course.id}", course_id=course.id))
    # ... but not lines of other sources for the same course
    services.record_credit(teacher, seconds=3600, source="offline_training", evidence="offline_session:9",
                           course_id=course.id)
    services.record_credit(teacher, seconds=3600, source="offline_training", evidence="offline_session:10",
                           course_id=course.id)

    # the other request committed its line after this one read the ledger
    monkeypatch.setattr(admin, "_credited_pairs", lambda user_ids: set())
    assert admin.credit_completed_courses([teacher.id]) == 0
    monkeypatch.undo()
    assert len(_completion_lines(teacher.id)) == 1
    assert services.hours_by_course(teacher.id, [course.id]) == {course.id: 5.0}
    db.session.commit()  # the transaction is still usable
    assert len(_completion_lines(teacher.id)) == 1


def test_completing_the_last_requirement_issues_the_certificate_automatically(client, login_as, setup):
    """The course's completion 学时 are this program's only requirement: the mark that completes the course
    issues the certificate without the teacher asking for it."""
    program, course, pages = setup
    teacher = login_as("teacher")
    services.enroll(program, teacher)
    db.session.commit()
    _read(client, course, pages[0])
    assert services.certificate_of(program, teacher) is None
    _read(client, course, pages[1])
    cert = services.certificate_of(program, teacher)
    assert cert is not None and cert.holder_name == teacher.display_name
    page = client.get(f"/training/{program.id}").get_data(as_text=True)
    assert f"已取得证书 {cert.serial}" in page


def test_offline_hours_that_complete_a_program_issue_its_certificate(client, login_as, setup):
    from app.certification.models import OfflineSession
    from app.core import clock

    program, course, _pages = setup
    admin_user = login_as("platform_admin")
    ready, short = factories.user("teacher"), factories.user("teacher")
    for teacher in (ready, short):
        services.enroll(program, teacher)
    services.record_credit(ready, seconds=3600, source="offline_training", evidence="offline_session:0",
                           course_id=course.id)
    session = OfflineSession(title="集中培训", held_on=clock.today(), hours=2, course_id=course.id,
                             attendance_key="k", attendance_name="签到表.pdf", attendance_mime="application/pdf",
                             created_by_id=admin_user.id)
    db.session.add(session)
    db.session.flush()
    assert admin.record_attendance(session, [ready, short], actor=admin_user) == 2
    assert services.certificate_of(program, ready) is not None  # 1 + 2 学时 ≥ 3
    assert services.certificate_of(program, short) is None  # 2 学时 < 3

