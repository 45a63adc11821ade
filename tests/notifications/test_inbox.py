"""站内消息: domains' events become notifications for the right people; the inbox, read marks and the API."""
from __future__ import annotations

from sqlalchemy import select

from app.courses import services as courses
from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification
from app.tasks import services as tasks
from tests import factories
from tests.certification.test_programs_and_certificates import program  # noqa: F401  (fixture)
from tests.tasks import builders as task_builders
from tests.workbench import builders


def _mine(user):
    """The user's notifications but the peer-review requests every work task with peers sends at its creation
    (tests/notifications/test_evaluation_requested.py covers those)."""
    return list(db.session.scalars(select(Notification).where(Notification.recipient_id == user.id,
                                                              Notification.kind != "evaluation.requested")
                                   .order_by(Notification.id)))


def test_granting_an_exam_on_the_page_notifies_the_learner(client, login_as):
    teacher = login_as("teacher")
    student = factories.user("student", school_=teacher.school)
    exam = builders.open_exam([], creator=teacher)
    db.session.commit()
    response = client.form(f"/exams/{exam.id}/grants", {"usernames": student.username, "extra_minutes": "0"},
                           token_from=f"/exams/{exam.id}")
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    [note] = _mine(student)
    assert note.kind == "exams.granted" and exam.title in note.title and note.url == "/my/exams"
    # granting again (e.g. to change the extra time) does not notify twice
    client.form(f"/exams/{exam.id}/grants", {"usernames": student.username, "extra_minutes": "10"},
                token_from=f"/exams/{exam.id}")
    assert len(_mine(student)) == 1


def test_flask_exams_create_with_user_notifies_the_learner(runner):
    from tests.exams import builders as exam_builders

    bank = exam_builders.bank(key="cli-notify")
    exam_builders.question(bank, "single_choice")
    student = factories.user("student")
    db.session.commit()
    result = runner.invoke(args=["exams", "create", "--title", "命令行考试", "--bank", "cli-notify", "--draw", "single_choice:1", "--time-limit", "30",
                                 "--user", student.username])
    assert result.exit_code == 0, result.output
    [note] = _mine(student)
    assert note.kind == "exams.granted" and "命令行考试" in note.title and note.url == "/my/exams"


def test_plan_returned_with_the_comment_reaches_the_learner_but_not_one_who_left(client, login_as):
    a, course, teacher, (student, _other) = builders.work_task()
    submission = builders.plan_handed_in(a, student, teacher)
    tasks.decide_stage(submission, task_builders.stage(a, "decide"), by=teacher, approve=False,
                       comment="扭矩值要查维修手册。")
    [note] = _mine(student)
    assert note.kind == "tasks.plan_returned" and note.body == "扭矩值要查维修手册。"
    assert note.url == f"/tasks/submissions/{submission.id}/stages/{task_builders.stage(a, 'decide').id}"
    # the student leaves the course; the next decision tells nobody
    decide = task_builders.stage(a, "decide")
    tasks.save_stage(submission, decide, task_builders.answers_for(a, decide), by=student, submit=True)
    courses.unenrol(next(e for e in courses.participants(course) if e.user_id == student.id))
    tasks.decide_stage(submission, decide, by=teacher, approve=True)
    assert len(_mine(student)) == 1


def test_plan_approved_and_review_decision_carry_their_comments():
    from app.review import services as review
    from tests.exams import builders as exam_builders

    a, _course, teacher, (student, _other) = builders.work_task()
    submission = builders.plan_handed_in(a, student, teacher)
    tasks.decide_stage(submission, task_builders.stage(a, "decide"), by=teacher, approve=True, comment="可行")
    assert [n.kind for n in _mine(student)] == ["tasks.plan_approved"]
    author = factories.user("teacher")
    q = exam_builders.question(exam_builders.bank(), approved=False)
    q.current_version.submitted_by_id = author.id
    review.request_changes(q.current_version, exam_builders.reviewer(), "选项 B 的表述有歧义。")
    [note] = _mine(author)
    assert note.kind == "review.decided" and note.body == "选项 B 的表述有歧义。" and note.url


def test_inbox_api_mark_read_and_someone_else_s_is_404(client, login_as):
    student = login_as("student")
    other = factories.user("student")
    services.notify("imports.finished", [student.id, other.id], title="导入完成", body="共 3 行", url="/home")
    db.session.commit()
    body = client.get("/api/v1/me/notifications").get_json()
    assert body["unread"] == 1 and len(body["items"]) == 1
    item = body["items"][0]
    assert set(item) == {"id", "kind", "title", "body", "url", "created_at", "read"} and item["read"] is False
    token = client.csrf_token("/notifications")
    theirs = _mine(other)[0].id
    assert client.post(f"/api/v1/me/notifications/{theirs}/read", headers={"X-CSRFToken": token}).status_code == 404
    assert _mine(other)[0].read_at is None
    assert client.post(f"/api/v1/me/notifications/{item['id']}/read", headers={"X-CSRFToken": token}).get_json()["read"]
    assert client.get("/api/v1/me/notifications").get_json()["unread"] == 0


def test_inbox_page_shows_unread_count_and_marks_all_read(client, login_as):
    student = login_as("student")
    services.notify("imports.finished", [student.id], title="第一条", url="/home")
    services.notify("imports.finished", [student.id], title="第二条", url="/home")
    db.session.commit()
    assert "2" in client.get("/notifications/badge").get_data(as_text=True)
    page = client.get("/notifications").get_data(as_text=True)
    assert "第一条" in page and "第二条" in page and "2 条未读" in page
    assert 'hx-get="/notifications/badge"' in page
    client.form("/notifications/read-all", token_from="/notifications")
    assert client.get("/notifications/badge").get_data(as_text=True).strip() == ""
    response = client.form(f"/notifications/{_mine(student)[0].id}/read", {"go": "1"}, token_from="/notifications")
    assert response.headers["Location"] == "/home"


def test_notification_api_needs_login(client):
    response = client.get("/api/v1/me/notifications")
    assert response.status_code == 401 and "error" in response.get_json()


def test_notifying_many_learners_is_a_constant_number_of_statements(count_queries):
    users = [factories.user("student") for _ in range(3)]
    more = [factories.user("student") for _ in range(30)]
    with count_queries() as few:
        services.notify("imports.finished", [u.id for u in users], title="x")
    with count_queries() as many:
        services.notify("imports.finished", [u.id for u in users + more], title="x")
    assert few.count == many.count


def test_teacher_evaluation_reaches_the_learner_with_the_comment():
    from tests.tasks.test_evaluation import _full

    a, _course, teacher, (student, other) = builders.work_task()
    submission = tasks.submission_of(a, student, create=True)
    tasks.evaluate(submission, "self", student, _full(a, 90), "自评")
    tasks.evaluate(submission, "teacher", teacher, _full(a, 80), "测量数据记录完整。")
    [note] = _mine(student)  # the self-evaluation tells nobody
    assert note.kind == "tasks.evaluated" and note.body == "测量数据记录完整。"
    assert note.url == f"/tasks/submissions/{submission.id}" and _mine(other) == []



def test_certificate_issued_and_revoked_reach_the_teacher(program):  # noqa: F811
    from app.certification import services as certification
    from tests.certification.test_programs_and_certificates import _complete

    holder = factories.user("teacher")
    certification.enroll(program, holder)
    _complete(program, holder)
    cert = certification.issue_certificate(program, holder)
    certification.revoke_certificate(cert, "材料不实", factories.user("platform_admin"))
    issued, revoked = _mine(holder)
    assert issued.kind == "certification.issued" and program.title in issued.title
    assert issued.url == f"/certificates/{cert.id}"
    assert revoked.kind == "certification.revoked" and revoked.body == "材料不实"
