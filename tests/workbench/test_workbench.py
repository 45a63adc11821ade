"""The workbench (工作台): each role's home page lists what to do now, from real data, soonest due first."""
from __future__ import annotations

import re
from datetime import timedelta

from app.core import clock
from app.courses import services as courses
from app.extensions import db
from tests import factories
from tests.workbench import builders


def _todo_titles(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).strip()
            for m in re.findall(r'data-testid="todo-item".*?</li>', html, flags=re.S)]


def test_student_sees_the_open_stage_and_the_open_exam_with_links_overdue_marked(client, login_as):
    a, course, teacher, (student, _other) = builders.work_task()
    builders.open_exam([student], closes_at=clock.now() + timedelta(days=10))
    db.session.commit()
    login_as(user=student)
    page = client.get("/home").get_data(as_text=True)
    items = _todo_titles(page)
    assert len(items) == 2, items
    # the stage (due yesterday) comes first, marked overdue in words; then the exam
    assert "完成环节" in items[0] and "信息" in items[0] and "已逾期" in items[0]
    assert "参加考试" in items[1] and "已逾期" not in items[1]
    assert "list-group-item-danger" in page
    assert "/tasks/submissions/" in page and "/my/exams" in page
    assert course.title in page  # my courses, with progress
    assert "老师还没有发布学习活动" in page  # the builder's course has no activities yet: said in words, not "0 / 0"


def test_todo_api_lists_the_same_items_sorted_by_due_time(client, login_as):
    a, _course, _teacher, (student, _other) = builders.work_task()
    builders.open_exam([student], closes_at=clock.now() + timedelta(hours=12))
    db.session.commit()
    login_as(user=student)
    body = client.get("/api/v1/me/todo").get_json()
    kinds = [i["kind"] for i in body["items"]]
    assert kinds == ["tasks.stage", "exams.open"]
    assert set(body["items"][0]) == {"kind", "title", "due_at", "url"}
    dues = [i["due_at"] for i in body["items"]]
    assert dues == sorted(dues)
    assert body["items"][0]["url"].startswith("/tasks/submissions/")


def test_todo_api_needs_a_login_or_a_token(client):
    from app.auth import services as auth

    response = client.get("/api/v1/me/todo")
    assert response.status_code == 401 and "error" in response.get_json()
    student = factories.user("student")
    _token, plain = auth.issue_api_token(student, "script")
    db.session.commit()
    ok = client.get("/api/v1/me/todo", headers={"Authorization": f"Bearer {plain}"})
    assert ok.status_code == 200 and ok.get_json() == {"items": []}


def test_a_learner_who_left_the_course_has_no_to_dos_from_it(client, login_as):
    a, course, _teacher, (student, _other) = builders.work_task()
    db.session.commit()
    login_as(user=student)
    assert client.get("/api/v1/me/todo").get_json()["items"]
    enrollment = next(e for e in courses.participants(course) if e.user_id == student.id)
    courses.unenrol(enrollment)
    db.session.commit()
    assert client.get("/api/v1/me/todo").get_json()["items"] == []


def test_teacher_sees_the_plan_to_approve_and_the_essays_to_mark(client, login_as):
    teacher = factories.user("teacher")
    a, _course, teacher, (student, other) = builders.work_task(teacher)
    builders.plan_handed_in(a, student, teacher)
    builders.essay_exam(teacher, [other])
    db.session.commit()
    login_as(user=teacher)
    page = client.get("/home").get_data(as_text=True)
    items = _todo_titles(page)
    assert any("审批" in t and "决策" in t and student.display_name in t for t in items), items
    assert any("批改" in t and "1 份答案" in t for t in items), items
    kinds = {i["kind"] for i in client.get("/api/v1/me/todo").get_json()["items"]}
    assert {"tasks.approve", "exams.marking"} <= kinds
    # following the link approves the plan; the to-do goes away
    url = next(i["url"] for i in client.get("/api/v1/me/todo").get_json()["items"] if i["kind"] == "tasks.approve")
    assert client.get(url).status_code == 200


def test_another_teacher_sees_none_of_it(client, login_as):
    teacher = factories.user("teacher")
    a, _course, teacher, (student, other) = builders.work_task(teacher)
    builders.plan_handed_in(a, student, teacher)
    builders.essay_exam(teacher, [other])
    db.session.commit()
    login_as("teacher")  # another school's teacher
    assert client.get("/api/v1/me/todo").get_json()["items"] == []


def test_reviewer_sees_the_queue_by_kind(client, login_as):
    from tests.exams import builders as exam_builders

    exam_builders.question(exam_builders.bank(), approved=False)
    db.session.commit()
    login_as("reviewer")
    items = client.get("/api/v1/me/todo").get_json()["items"]
    assert [i["kind"] for i in items] == ["review.queue"] and "1 项" in items[0]["title"]
    assert items[0]["url"] == "/review"


def test_empty_workbench_says_so(client, login_as):
    login_as("student")
    page = client.get("/home").get_data(as_text=True)
    assert 'data-testid="todo-empty"' in page


def test_workbench_statements_stay_constant_as_the_data_grows(client, login_as, count_queries):
    """A teacher with more courses, learners and to-dos, and a student with more courses, cost the same number
    of statements (at most 12)."""
    teacher = factories.user("teacher")

    def grow():
        a, _course, _t, learners = builders.work_task(teacher, students=2)
        builders.plan_handed_in(a, learners[0], teacher)
        builders.essay_exam(teacher, [learners[1]])
        return learners

    first = grow()
    db.session.commit()
    login_as(user=teacher)
    with count_queries() as small:
        assert client.get("/home").status_code == 200
    for _ in range(3):
        grow()
    db.session.commit()
    with count_queries() as large:
        page = client.get("/home").get_data(as_text=True)
    assert page.count('data-kind="tasks.approve"') == 4
    assert large.count == small.count <= 12, "\n".join(s[:150] for s in large.statements)

    student = first[0]
    client.form("/logout", token_from="/home")
    login_as(user=student)
    with count_queries() as one:
        assert client.get("/home").status_code == 200
    for _ in range(3):
        c, _ = builders.task_builders.course_builders.course(teacher)
        courses.enrol_users(c, [student])
        builders.open_exam([student])
    db.session.commit()
    with count_queries() as more:
        assert client.get("/home").status_code == 200
    assert more.count == one.count <= 12, more.statements
