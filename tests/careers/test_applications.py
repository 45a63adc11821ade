"""Applications: one per student and post, a résumé from the record, status moved by the posting enterprise only."""
from __future__ import annotations

from app.careers.models import JobApplication
from app.extensions import db
from tests import factories
from tests.careers import builders


def _apply(client, post, statement="我想来实习"):
    return client.form(f"/jobs/{post.id}/apply", {"statement": statement}, token_from=f"/jobs/{post.id}")


def test_student_applies_once_with_a_resume_from_their_record(client, login_as):
    post = builders.published_post()
    db.session.commit()
    student = login_as("student", full_name="刘同学", phone="13800000000")
    response = _apply(client, post)
    assert response.status_code == 302
    application = db.session.query(JobApplication).one()
    assert application.status == "submitted"
    assert application.resume["name"] == "刘同学" and application.resume["school"] == student.school.name
    again = _apply(client, post, "再投一次")
    assert again.status_code == 200
    assert "您已投递过这个岗位，不能重复投递" in again.get_data(as_text=True)
    assert db.session.query(JobApplication).count() == 1


def test_student_sees_status_and_withdraws(client, login_as):
    post = builders.published_post()
    db.session.commit()
    login_as("student")
    _apply(client, post)
    application = db.session.query(JobApplication).one()
    page = client.get(f"/careers/applications/{application.id}").get_data(as_text=True)
    assert "已投递" in page
    url = f"/careers/applications/{application.id}"
    assert client.form(url + "/withdraw", {}, token_from=url).status_code == 302
    db.session.refresh(application)
    assert application.status == "withdrawn"
    assert "已撤回" in client.get(url).get_data(as_text=True)


def test_enterprise_hr_views_and_moves_only_its_own_applicants(app, client, login_as):
    hr = builders.hr()
    post = builders.published_post(hr)
    student = factories.user("student", phone="13900000000")
    from app.careers import services

    application = services.apply(post, student, "你好")
    db.session.commit()
    other = app.test_client()
    login_as(user=builders.hr(), client_=other)
    assert other.get(f"/careers/applications/{application.id}").status_code == 404
    assert "13900000000" not in other.get("/careers/applications").get_data(as_text=True)

    login_as(user=hr)
    url = f"/careers/applications/{application.id}"
    page = client.get(url).get_data(as_text=True)
    assert "13900000000" in page
    db.session.refresh(application)
    assert application.status == "viewed"
    assert client.form(url + "/status", {"status": "interview"}, token_from=url).status_code == 302
    db.session.refresh(application)
    assert application.status == "interview"
    assert other.form(url + "/status", {"status": "offered"}, token_from="/jobs").status_code == 404


def test_student_cannot_move_the_status(client, login_as):
    post = builders.published_post()
    db.session.commit()
    login_as("student")
    _apply(client, post)
    application = db.session.query(JobApplication).one()
    url = f"/careers/applications/{application.id}"
    assert client.form(url + "/status", {"status": "offered"}, token_from=url).status_code == 403
    db.session.refresh(application)
    assert application.status == "submitted"


def test_teachers_see_their_schools_students_applications_only(app, client, login_as):
    from app.careers import services

    post = builders.published_post(title="对口岗位")
    student = factories.user("student")
    application = services.apply(post, student)
    db.session.commit()
    login_as("teacher", school_=student.school)
    assert "对口岗位" in client.get("/careers/applications").get_data(as_text=True)
    assert client.get(f"/careers/applications/{application.id}").status_code == 200
    stranger = app.test_client()
    login_as("teacher", client_=stranger)
    assert "对口岗位" not in stranger.get("/careers/applications").get_data(as_text=True)
    assert stranger.get(f"/careers/applications/{application.id}").status_code == 404


def test_cannot_apply_to_a_draft(client, login_as):
    from app.careers import services

    hr = builders.hr()
    draft = services.create_post(hr.enterprise_id, hr, professions=[builders.profession().id],
                                 **builders.post_fields())
    db.session.commit()
    login_as("student")
    assert _apply(client, draft).status_code == 404
    assert db.session.query(JobApplication).count() == 0


def test_withdrawn_application_cannot_be_sent_again(client, login_as):
    post = builders.published_post()
    db.session.commit()
    login_as("student")
    _apply(client, post)
    application = db.session.query(JobApplication).one()
    url = f"/careers/applications/{application.id}"
    client.form(url + "/withdraw", {}, token_from=url)
    again = _apply(client, post)
    assert again.status_code == 200 and "不能重复投递" in again.get_data(as_text=True)


def test_hr_user_from_the_factory_belongs_to_an_enterprise(login_as, client):
    user = login_as("enterprise_hr")
    assert user.enterprise_id is not None
    assert client.get("/careers/posts").status_code == 200
