"""Mentor pairing (a mentor sees only assigned learners, HTML and JSON), activities, completion and the class
progress table (constant SQL statements)."""
from __future__ import annotations

from app.auth import services as auth
from app.courses import services
from app.courses.models import Course
from app.extensions import db
from tests import factories
from tests.courses import builders


def _paired_course():
    teacher = factories.user("teacher")
    course, (mine, other) = builders.course(teacher, students=2)
    mentor = factories.user("mentor")
    services.assign_mentor(course, mine, mentor)
    return course, mine, other, mentor


def test_mentor_sees_only_assigned_students_in_html(client, login_as):
    course, mine, other, mentor = _paired_course()
    db.session.commit()
    login_as(user=mentor)
    page = client.get(f"/courses/{course.id}/mentees").get_data(as_text=True)
    assert mine.full_name in page and other.full_name not in page
    assert client.get(f"/courses/{course.id}/students/{mine.id}").status_code == 200
    assert client.get(f"/courses/{course.id}/students/{other.id}").status_code == 403
    assert client.get(f"/courses/{course.id}/grades/{mine.id}").status_code == 200
    assert client.get(f"/courses/{course.id}/grades/{other.id}").status_code == 403
    assert client.get(f"/courses/{course.id}/progress").status_code == 403


def test_mentor_sees_only_assigned_students_in_json(app):
    course, mine, other, mentor = _paired_course()
    _token, plain = auth.issue_api_token(mentor)
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    ok = api.get(f"/api/courses/{course.id}/students/{mine.id}/progress", headers=headers)
    assert ok.status_code == 200 and ok.get_json()["student"]["id"] == mine.id
    denied = api.get(f"/api/courses/{course.id}/students/{other.id}/progress", headers=headers)
    assert denied.status_code == 403 and denied.get_json()["error"]["status"] == 403


def test_pairing_page_lists_students_without_a_mentor(client, login_as):
    teacher = login_as("teacher")
    course, (a, b) = builders.course(teacher, students=2)
    mentor = factories.user("mentor")
    db.session.commit()
    page = client.get(f"/courses/{course.id}/mentors").get_data(as_text=True)
    assert "尚未拜师的学员（2）" in page
    response = client.form(f"/courses/{course.id}/mentors", {"student_id": a.id, "mentor_id": mentor.id},
                           token_from=f"/courses/{course.id}/mentors")
    assert response.status_code == 302
    page = client.get(f"/courses/{course.id}/mentors").get_data(as_text=True)
    assert "尚未拜师的学员（1）" in page and "拜师结对已保存" in page
    assert [u.id for u in services.students_without_mentor(db.session.get(Course, course.id))] == [b.id]
    # A second mentor for the same student is allowed; the same pair twice is not.
    second = factories.user("mentor")
    db.session.commit()
    assert client.form(f"/courses/{course.id}/mentors", {"student_id": a.id, "mentor_id": second.id},
                       token_from=f"/courses/{course.id}/mentors").status_code == 302
    again = client.form(f"/courses/{course.id}/mentors", {"student_id": a.id, "mentor_id": mentor.id},
                        token_from=f"/courses/{course.id}/mentors")
    assert again.status_code == 200


def test_learner_marks_a_page_read_and_sees_progress(client, login_as):
    teacher = factories.user("teacher")
    course, _ = builders.course(teacher)
    page_act = services.add_activity(course, kind="page", title="学习任务书", body="阅读任务书")
    services.add_activity(course, kind="manual", title="实操：更换机油", body="现场确认")
    student = login_as("student", school_=teacher.school)
    services.enrol_user(course, student)
    db.session.commit()
    assert "0 / 2（0%）" in client.get(f"/courses/{course.id}").get_data(as_text=True)
    response = client.form(f"/courses/{course.id}/activities/{page_act.id}/done", {},
                           token_from=f"/courses/{course.id}/activities/{page_act.id}")
    assert response.status_code == 302
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "1 / 2（50%）" in page and "已标记为完成" in page


def test_learner_cannot_tick_a_manual_activity(client, login_as):
    teacher = factories.user("teacher")
    course, _ = builders.course(teacher)
    act = services.add_activity(course, kind="manual", title="实操", body="")
    student = login_as("student", school_=teacher.school)
    services.enrol_user(course, student)
    db.session.commit()
    assert client.form(f"/courses/{course.id}/activities/{act.id}/done", {},
                       token_from=f"/courses/{course.id}").status_code == 403


def test_teacher_ticks_manual_completion_in_the_progress_table(client, login_as):
    teacher = login_as("teacher")
    course, (a, b) = builders.course(teacher, students=2)
    act = services.add_activity(course, kind="manual", title="实操：轮胎换位", body="")
    db.session.commit()
    response = client.form(f"/courses/{course.id}/activities/{act.id}/marks", {"user_id": [a.id], "done": "1"},
                           token_from=f"/courses/{course.id}/activities/{act.id}")
    assert response.status_code == 302
    matrix = services.completion_matrix([act], [a.id, b.id])
    assert matrix[act.id][a.id].done and not matrix[act.id][b.id].done
    page = client.get(f"/courses/{course.id}/activities/{act.id}").get_data(as_text=True)
    assert page.count('name="user_id"') == 2 and page.count("✓ 教师已确认") == 1 and "已更新 1 名学员" in page
    outsider = factories.user("student", school_=teacher.school)
    db.session.commit()
    response = client.form(f"/courses/{course.id}/activities/{act.id}/marks", {"user_id": [outsider.id]},
                           token_from=f"/courses/{course.id}/activities/{act.id}")
    assert response.status_code == 400


def test_page_activity_refuses_a_javascript_link(client, login_as):
    teacher = login_as("teacher")
    course, _ = builders.course(teacher)
    db.session.commit()
    url = f"/courses/{course.id}/activities/new"
    response = client.form(url, {"kind": "page", "title": "坏链接", "url": "javascript:alert(1)", "require": "submitted"},
                           token_from=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "链接必须以 http:// 或 https:// 开头" in page
    assert 'value="javascript:alert(1)"' in page and 'value="坏链接"' in page  # the form again, as typed
    assert 'class="invalid-feedback">链接必须' in page  # beside the link field


def test_activities_can_be_reordered(client, login_as):
    teacher = login_as("teacher")
    course, _ = builders.course(teacher)
    first = services.add_activity(course, kind="page", title="一", body="x")
    second = services.add_activity(course, kind="page", title="二", body="x")
    db.session.commit()
    client.form(f"/courses/{course.id}/activities/{second.id}/move", {"direction": "up"},
                token_from=f"/courses/{course.id}")
    assert [a.title for a in services.activities(db.session.get(Course, course.id))] == ["二", "一"]
    assert first.id != second.id


def _progress_statements(client, count_queries, students: int) -> int:
    teacher = factories.user("teacher")
    course, learners = builders.course(teacher, students=students)
    acts = [services.add_activity(course, kind=kind, title=f"活动{n}", body="x")
            for n, kind in enumerate(["page", "manual"] * 5)]
    services.set_marks(acts[0], [u.id for u in learners[::2]], done=True, by=teacher)
    db.session.commit()
    from tests.conftest import PASSWORD

    client.form("/login", {"username": teacher.username, "password": PASSWORD})
    client.get(f"/courses/{course.id}/progress")  # warm caches (session touch)
    with count_queries() as q:
        response = client.get(f"/courses/{course.id}/progress")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("<tr>") == students + 1
    return q.count


def test_progress_table_statements_do_not_grow_with_students(app, count_queries):
    small = _progress_statements(app.test_client(), count_queries, 5)
    large = _progress_statements(app.test_client(), count_queries, 60)
    assert small == large
    assert large <= 10


def test_my_courses_shows_progress_per_course_with_constant_statements(app, count_queries):
    from tests.conftest import PASSWORD

    def statements(n_courses: int) -> tuple[int, str]:
        teacher = factories.user("teacher")
        student = factories.user("student", school_=teacher.school)
        for n in range(n_courses):
            course, _ = builders.course(teacher, title=f"课程{n}")
            services.enrol_user(course, student)
            first = services.add_activity(course, kind="page", title="读", body="x")
            services.add_activity(course, kind="manual", title="做", body="x")
            services.set_marks(first, [student.id], done=True, by=student)
        db.session.commit()
        client = app.test_client()
        client.form("/login", {"username": student.username, "password": PASSWORD})
        client.get("/courses")
        with count_queries() as q:
            page = client.get("/courses").get_data(as_text=True)
        return q.count, page

    small, page = statements(2)
    large, _page = statements(8)
    assert "1 / 2（50%）" in page and small == large


def test_a_teacher_cannot_look_up_users_outside_the_course_by_id(client, login_as):
    """Object-level: the student pages of a course answer only for its learners (current or unenrolled), not for
    any user of the platform whose id is put in the URL."""
    from app.grading import services as grading

    teacher = login_as("teacher")
    course, (learner,) = builders.course(teacher, students=1)
    outsider = factories.user("student", full_name="外校学生张三")
    item = grading.save_item(course, None, name="实操考核", kind="manual")
    db.session.commit()
    for url in (f"/courses/{course.id}/students/{outsider.id}", f"/courses/{course.id}/grades/{outsider.id}",
                f"/api/courses/{course.id}/students/{outsider.id}/progress",
                f"/courses/{course.id}/gradebook/grades/{item.id}/{outsider.id}",
                f"/api/courses/{course.id}/grades/{item.id}/{outsider.id}"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "外校学生张三" not in response.get_data(as_text=True)
        assert outsider.username not in response.get_data(as_text=True)
    assert client.get(f"/courses/{course.id}/students/{learner.id}").status_code == 200
    services.unenrol(next(e for e in services.participants(course) if e.user_id == learner.id))
    db.session.commit()
    assert client.get(f"/courses/{course.id}/grades/{learner.id}").status_code == 200  # the record stays


def test_progress_table_keeps_its_hidden_labels_inside_the_scrolling_box(client, login_as):
    """At 360 px the wide progress table scrolls inside its box. Its screen-reader texts ("已完成", "尚未开始") are
    absolutely positioned: without a positioned wrapper they escaped the box and widened the whole page (measured
    in Chromium: 505 px). The wrapper is now their containing block."""
    import re

    teacher = login_as("teacher")
    course, (learner,) = builders.course(teacher, students=1)
    for n in range(8):
        services.add_activity(course, kind="manual", title=f"实训活动{n}")
    db.session.commit()
    page = client.get(f"/courses/{course.id}/progress").get_data(as_text=True)
    wrapper = re.search(r'<div class="([^"]*table-responsive[^"]*)"><table[^>]*progress-table', page)
    assert wrapper and "position-relative" in wrapper.group(1).split()
    assert 'class="visually-hidden"' in page
