"""Exams reach people the way schools organise them: granted to courses and cohorts picked from lists, with a
window per cohort, extra time per student, an access code (rate-limited guesses) and allowed networks (机房)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.core import clock, signals
from app.courses import services as courses
from app.exams import services
from app.exams.models import Attempt, ExamGrant
from app.extensions import db
from tests import factories
from tests.exams import builders


def _exam(teacher, **fields):
    bank = builders.bank()
    for _ in range(3):
        builders.question(bank, "single_choice")
    paper = services.create_paper(title="期中", school_id=teacher.school_id, creator=teacher)
    services.add_paper_rule(paper, bank=bank, qtype="single_choice", count=2, points=5)
    exam = services.create_exam(paper=paper, title="期中考试", creator=teacher, school_id=teacher.school_id,
                                **fields)
    db.session.commit()
    return exam


def _cohort(teacher, n=2, name="2025级汽修1班"):
    cohort = courses.create_cohort(school=teacher.school, name=name, entry_year=2025)
    members = [factories.user("student", school_=teacher.school) for _ in range(n)]
    courses.add_cohort_members(cohort, members)
    db.session.commit()
    return cohort, members


def _granted(exam):
    return set(db.session.scalars(select(ExamGrant.user_id).where(ExamGrant.exam_id == exam.id)))


def test_the_page_lists_courses_taught_and_cohorts_of_the_school_never_other_schools(client, login_as):
    teacher = login_as("teacher")
    exam = _exam(teacher)
    cohort, _members = _cohort(teacher)
    other_school_cohort, _ = _cohort(factories.user("teacher"), name="别校班级")
    taught = courses.create_course(title="汽车电气", kind="class_course", school=teacher.school, teachers=[teacher])
    not_taught = courses.create_course(title="别人的课", kind="class_course", school=teacher.school)
    db.session.commit()
    page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert f'value="cohort-{cohort.id}"' in page and "2025级汽修1班" in page
    assert f'value="course-{taught.id}"' in page and "汽车电气" in page
    assert "别校班级" not in page and f'value="course-{not_taught.id}"' not in page


def test_granting_a_cohort_grants_its_members_and_notifies_them(client, login_as):
    teacher = login_as("teacher")
    exam = _exam(teacher)
    cohort, members = _cohort(teacher, 3)
    told = []

    def listener(sender, **kw):
        told.append(sorted(kw["user_ids"]))
    signals.exam_granted.connect(listener)
    try:
        response = client.form(f"/exams/{exam.id}/audiences", {"target": f"cohort-{cohort.id}"},
                               token_from=f"/exams/{exam.id}")
    finally:
        signals.exam_granted.disconnect(listener)
    assert response.status_code == 302
    assert _granted(exam) == {m.id for m in members}
    assert told == [sorted(m.id for m in members)]
    # Granting again adds nobody twice and notifies nobody again.
    client.form(f"/exams/{exam.id}/audiences", {"target": f"cohort-{cohort.id}"}, token_from=f"/exams/{exam.id}")
    assert len(db.session.scalars(select(ExamGrant).where(ExamGrant.exam_id == exam.id)).all()) == 3
    page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "2025级汽修1班" in page


def test_a_cohort_or_course_not_in_the_lists_is_refused(client, login_as):
    teacher = login_as("teacher")
    exam = _exam(teacher)
    other_cohort, other_members = _cohort(factories.user("teacher"), name="别校班级")
    response = client.form(f"/exams/{exam.id}/audiences", {"target": f"cohort-{other_cohort.id}"},
                           token_from=f"/exams/{exam.id}")
    assert response.status_code == 200
    assert "请从列表中选择" in response.get_data(as_text=True)
    assert _granted(exam) == set()


def test_a_student_of_another_school_in_a_shared_course_is_not_granted(client, login_as):
    teacher = login_as("teacher")
    exam = _exam(teacher)
    course = courses.create_course(title="共享课", kind="class_course", school=teacher.school, teachers=[teacher],
                                   is_shared=True)
    ours = factories.user("student", school_=teacher.school)
    theirs = factories.user("student")
    courses.enrol_user(course, ours)
    courses.enrol_user(course, theirs)
    db.session.commit()
    response = client.form(f"/exams/{exam.id}/audiences", {"target": f"course-{course.id}"},
                           token_from=f"/exams/{exam.id}", follow_redirects=True)
    assert "1 名成员不属于本校，未开通" in response.get_data(as_text=True)
    assert _granted(exam) == {ours.id}


def test_a_cohort_window_overrides_the_exam_window_in_beijing_time(client, login_as):
    teacher = login_as("teacher")
    exam = _exam(teacher, time_limit_minutes=60)
    cohort, members = _cohort(teacher, 1)
    # Beijing 2026-12-08 09:00 to 11:00 is UTC 01:00 to 03:00.
    response = client.form(f"/exams/{exam.id}/audiences", {"target": f"cohort-{cohort.id}",
                                                           "opens_at": "2026-12-08T09:00",
                                                           "closes_at": "2026-12-08T11:00"},
                           token_from=f"/exams/{exam.id}")
    assert response.status_code == 302
    page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "2026-12-08 09:00" in page and "2026-12-08 11:00" in page
    student = members[0]
    clock.set_now(clock.from_local(clock.parse_local_input("2026-12-08T08:30")))
    try:
        try:
            services.start_attempt(exam, student)
        except Exception as exc:  # noqa: BLE001
            assert "尚未开始" in exc.message
        else:
            raise AssertionError("started before the cohort's window")
        clock.set_now(clock.from_local(clock.parse_local_input("2026-12-08T10:30")))
        attempt, created = services.start_attempt(exam, student)
        # The cohort's close cuts the 60 minutes short: 11:00 Beijing.
        assert created and clock.as_utc(attempt.deadline) == clock.from_local(
            clock.parse_local_input("2026-12-08T11:00"))
    finally:
        clock.set_now(None)
        db.session.rollback()


def test_a_window_that_ends_before_it_starts_is_refused_on_the_page(client, login_as):
    teacher = login_as("teacher")
    exam = _exam(teacher)
    cohort, _ = _cohort(teacher, 1)
    response = client.form(f"/exams/{exam.id}/audiences", {"target": f"cohort-{cohort.id}",
                                                           "opens_at": "2026-12-08T11:00",
                                                           "closes_at": "2026-12-08T09:00"},
                           token_from=f"/exams/{exam.id}")
    assert response.status_code == 200
    assert "结束时间必须晚于开始时间" in response.get_data(as_text=True)
    assert _granted(exam) == set()


def test_extra_time_is_chosen_from_granted_learners(client, login_as):
    teacher = login_as("teacher")
    exam = _exam(teacher, time_limit_minutes=30)
    cohort, members = _cohort(teacher, 2)
    client.form(f"/exams/{exam.id}/audiences", {"target": f"cohort-{cohort.id}"}, token_from=f"/exams/{exam.id}")
    stranger = factories.user("student", school_=teacher.school)
    refused = client.form(f"/exams/{exam.id}/extra-time", {"user_id": stranger.id, "minutes": 10},
                          token_from=f"/exams/{exam.id}")
    assert refused.status_code == 200
    ok = client.form(f"/exams/{exam.id}/extra-time", {"user_id": members[0].id, "minutes": 15},
                     token_from=f"/exams/{exam.id}")
    assert ok.status_code == 302
    attempt, _ = services.start_attempt(exam, members[0])
    assert clock.as_utc(attempt.deadline) - clock.as_utc(attempt.started_at) == timedelta(minutes=45)
    db.session.rollback()


def test_existing_grants_by_username_keep_working(client, login_as):
    teacher = login_as("teacher")
    exam = _exam(teacher)
    student = factories.user("student", school_=teacher.school)
    db.session.commit()
    response = client.form(f"/exams/{exam.id}/grants", {"usernames": student.username, "extra_minutes": 0},
                           token_from=f"/exams/{exam.id}")
    assert response.status_code == 302
    assert _granted(exam) == {student.id}


def _student_with_entry(app, client, login_as, **entry):
    teacher = login_as("teacher")
    exam = _exam(teacher)
    student = factories.user("student", school_=teacher.school)
    services.grant_access(exam, student)
    db.session.commit()
    response = client.form(f"/exams/{exam.id}/entry", entry, token_from=f"/exams/{exam.id}")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    student_client = app.test_client()
    login_as(user=student, client_=student_client)
    return exam, student, student_client


def test_wrong_access_code_is_refused_with_a_message_and_the_right_one_starts(app, client, login_as):
    teacher_client = client
    exam, student, client = _student_with_entry(app, teacher_client, login_as, access_code="8086", allowed_networks="")
    page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "考试口令" in page
    wrong = client.form(f"/exams/{exam.id}/start", {"access_code": "1234"}, token_from=f"/exams/{exam.id}")
    assert wrong.status_code == 200
    body = wrong.get_data(as_text=True)
    assert "考试口令不正确" in body and 'value="1234"' in body
    assert db.session.scalar(select(Attempt.id).where(Attempt.exam_id == exam.id)) is None
    right = client.form(f"/exams/{exam.id}/start", {"access_code": "8086"}, token_from=f"/exams/{exam.id}")
    assert right.status_code == 302 and "/attempts/" in right.headers["Location"]


def test_access_code_guesses_are_rate_limited_per_user(app, client, login_as):
    teacher_client = client
    exam, student, client = _student_with_entry(app, teacher_client, login_as, access_code="8086", allowed_networks="")
    for n in range(20):
        response = client.form(f"/exams/{exam.id}/start", {"access_code": f"x{n}"}, token_from=f"/exams/{exam.id}")
        assert "考试口令不正确" in response.get_data(as_text=True)
    # The 21st try is refused even with the right code.
    response = client.form(f"/exams/{exam.id}/start", {"access_code": "8086"}, token_from=f"/exams/{exam.id}")
    assert "输错次数过多" in response.get_data(as_text=True)
    assert db.session.scalar(select(Attempt.id).where(Attempt.exam_id == exam.id)) is None
    # Through the API too.
    api = client.post(f"/api/v1/exams/{exam.id}/attempts", json={"access_code": "8086"},
                      headers={"X-CSRFToken": client.csrf_token(f"/exams/{exam.id}")})
    assert api.status_code == 409


def test_a_start_from_outside_the_allowed_networks_is_refused_with_the_reason(app, client, login_as):
    teacher_client = client
    exam, student, client = _student_with_entry(app, teacher_client, login_as, access_code="", allowed_networks="10.1.2.0/24")
    outside = client.form(f"/exams/{exam.id}/start", {}, token_from=f"/exams/{exam.id}",
                          environ_base={"REMOTE_ADDR": "192.168.9.9"}, follow_redirects=True)
    body = outside.get_data(as_text=True)
    assert "10.1.2.0/24" in body and "192.168.9.9" in body and "指定的机房" in body
    assert db.session.scalar(select(Attempt.id).where(Attempt.exam_id == exam.id)) is None
    inside = client.form(f"/exams/{exam.id}/start", {}, token_from=f"/exams/{exam.id}",
                         environ_base={"REMOTE_ADDR": "10.1.2.77"})
    assert inside.status_code == 302 and "/attempts/" in inside.headers["Location"]


def test_a_bad_network_is_named_and_entry_settings_freeze_after_the_first_attempt(client, login_as):
    teacher = login_as("teacher")
    exam = _exam(teacher)
    bad = client.form(f"/exams/{exam.id}/entry", {"access_code": "1", "allowed_networks": "10.1.2.0/24\n机房A"},
                      token_from=f"/exams/{exam.id}")
    assert bad.status_code == 200
    assert "“机房A”不是有效的 IP 地址段" in bad.get_data(as_text=True)
    student = factories.user("student", school_=teacher.school)
    services.grant_access(exam, student)
    services.start_attempt(exam, student)
    db.session.commit()
    late = client.form(f"/exams/{exam.id}/entry", {"access_code": "9999", "allowed_networks": ""},
                       token_from=f"/exams/{exam.id}")
    assert "不能再修改" in late.get_data(as_text=True)
    db.session.expire_all()
    assert exam.access_code is None
