"""Access withdrawn while someone is in the middle of something ends at once, on every path (HTML and JSON):
a student removed from an exam mid-attempt, a demoted or deactivated user holding an API token."""
from __future__ import annotations

from sqlalchemy import select

from app.auth import services as auth
from app.exams.models import Attempt, AttemptItem
from app.extensions import db
from tests import factories
from tests.exams import builders


def _running_exam():
    teacher = factories.user("teacher")
    student = factories.user("student", school_=teacher.school)
    bank = builders.bank()
    qs = [builders.question(bank, "single_choice") for _ in range(2)]
    exam = builders.fixed_exam(qs, students=[student], creator=teacher)
    _rec, plain = auth.issue_api_token(student, "exam")
    db.session.commit()
    return teacher, student, exam, {"Authorization": f"Bearer {plain}"}


def test_a_student_removed_from_an_exam_mid_attempt_cannot_go_on_answering_or_submit(app, client, login_as):
    teacher, student, exam, headers = _running_exam()
    api = app.test_client()
    started = api.post(f"/api/v1/exams/{exam.id}/attempts", headers=headers)
    assert started.status_code == 201
    attempt_id = started.get_json()["attempt_id"]
    assert api.put(f"/api/v1/attempts/{attempt_id}/items/1", json={"response": "A", "seq": 1},
                   headers=headers).status_code == 200

    login_as(user=teacher)
    revoked = client.form(f"/exams/{exam.id}/grants/{student.id}/revoke", token_from=f"/exams/{exam.id}",
                          follow_redirects=True)
    assert revoked.status_code == 200 and "正在进行的作答已收卷" in revoked.get_data(as_text=True)

    late = api.put(f"/api/v1/attempts/{attempt_id}/items/2", json={"response": "A", "seq": 2}, headers=headers)
    assert late.status_code == 409
    api.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)
    again = api.post(f"/api/v1/exams/{exam.id}/attempts", headers=headers)
    assert again.status_code == 403
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state != "in_progress" and attempt.closed_by == "teacher"
    second = db.session.scalar(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id, AttemptItem.slot == 2))
    assert second.response is None  # the answer sent after the removal was not kept
    assert db.session.scalar(select(Attempt.id).where(Attempt.exam_id == exam.id, Attempt.id != attempt_id)) is None


def test_revoking_a_student_who_has_not_started_only_removes_the_grant(app, client, login_as):
    teacher, student, exam, headers = _running_exam()
    login_as(user=teacher)
    page = client.form(f"/exams/{exam.id}/grants/{student.id}/revoke", token_from=f"/exams/{exam.id}",
                       follow_redirects=True).get_data(as_text=True)
    assert "已取消该考生的考试资格。" in page and "收卷" not in page
    assert app.test_client().post(f"/api/v1/exams/{exam.id}/attempts", headers=headers).status_code == 403


def test_a_demoted_teachers_api_token_no_longer_grades(app, client, login_as):
    """Roles are read on every request: a token issued while the holder was a teacher grants nothing after the
    teacher role is taken away."""
    teacher, student, exam, _headers = _running_exam()
    _rec, plain = auth.issue_api_token(teacher, "grading")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {plain}"}
    api = app.test_client()
    assert api.get(f"/exams/{exam.id}/grading", headers=bearer).status_code == 200
    auth.update_user(teacher, roles=["student"])
    db.session.commit()
    assert api.get(f"/exams/{exam.id}/grading", headers=bearer).status_code in (403, 404)


def test_a_deactivated_users_api_token_is_refused_at_once(app, client, login_as):
    _teacher, student, exam, headers = _running_exam()
    api = app.test_client()
    assert api.post(f"/api/v1/exams/{exam.id}/attempts", headers=headers).status_code == 201
    auth.set_active(student, False)
    db.session.commit()
    refused = api.get("/api/v1/attempts/1", headers=headers)  # any id: the token itself is refused
    assert refused.status_code == 401 and refused.is_json


def test_an_admin_demoted_after_an_import_can_no_longer_download_its_activation_codes(app, client, login_as):
    import io
    import re

    admin = login_as("school_admin")
    data = "用户名,姓名,角色,学校代码,邮箱\nnewcomer01,新同学,学生,,\n".encode()
    done = client.form("/users/import", {"file": (io.BytesIO(data), "u.csv")}, token_from="/users/import",
                       content_type="multipart/form-data")
    link = re.search(r'href="(/users/import/\d+/codes\.xlsx)"', done.get_data(as_text=True)).group(1)
    assert client.get(link).status_code == 200
    auth.update_user(admin, roles=["teacher"])  # ends the admin's sessions; they log in again as a teacher
    db.session.commit()
    again = app.test_client()
    login_as(user=admin, client_=again)
    assert again.get(link).status_code == 403


def test_an_author_demoted_to_student_can_no_longer_edit_their_workbook_or_media(app, client, login_as):
    """What someone wrote as a teacher stays theirs only while they may author: after the teacher role is
    taken away, the edit pages and their POSTs are refused (HTML), and nothing changes."""
    from app.catalog.models import Profession
    from app.core import uploads
    from app.media import services as media
    from tests.media import samples
    from tests.workbooks import helpers

    teacher = factories.user("teacher")
    workbook = helpers.workbook(teacher)
    page = helpers.page(workbook, teacher)
    profession = db.session.scalars(select(Profession).order_by(Profession.id)).first()
    stored = uploads.read_bytes(samples.png(size=(80, 40)), "示意图.png", ["image"], prefix=media.PREFIX)
    image = media.add_resource(teacher, stored, profession_id=profession.id)
    db.session.commit()
    edits = [f"/workbooks/{workbook.id}/edit", f"/workbook-pages/{page.page_id}/edit", f"/media/image/{image.id}/edit"]
    login_as(user=teacher)
    assert [client.get(url).status_code for url in edits] == [200, 200, 200]

    auth.update_user(teacher, roles=["student"])
    db.session.commit()
    login_as(user=teacher)
    assert [client.get(url).status_code for url in edits] == [403, 403, 403]
    token = client.csrf_token("/account")
    refused = client.post(f"/media/image/{image.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 403
