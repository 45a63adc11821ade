"""Job posts: written by the enterprise's HR user, checked, sanitised, reviewed before public, and expiring."""
from __future__ import annotations

from datetime import date, timedelta

from app.careers import services
from app.careers.models import JobPost
from app.extensions import db
from tests import factories
from tests.careers import builders


def _form(**overrides) -> dict:
    data = {"kind": "job", "title": "汽车维修工", "professions": str(builders.profession().id), "skill_level_id": "0",
            "province": "广东省", "city": "广州市", "district": "", "pay_min": "5000", "pay_max": "8000",
            "headcount": "2", "duties": "<p>保养</p>", "mentor_id": "0",
            "expires_on": (date.today() + timedelta(days=30)).isoformat()}
    data.update(overrides)
    return data


def test_hr_role_has_its_chinese_name(app):
    from app.core.templating import role_label

    with app.test_request_context():
        assert role_label("enterprise_hr") == "企业招聘专员"


def test_hr_creates_a_draft_that_is_not_public_until_approved(app, client, login_as):
    user = login_as(user=builders.hr())
    response = client.form("/careers/posts/new", _form(), token_from="/careers/posts/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    post = db.session.query(JobPost).filter_by(enterprise_id=user.enterprise_id).one()
    assert post.review_state == "draft"
    anonymous = app.test_client()
    assert anonymous.get(f"/jobs/{post.id}").status_code == 404
    assert "汽车维修工" not in anonymous.get("/jobs").get_data(as_text=True)
    assert client.get(f"/jobs/{post.id}").status_code == 200  # its enterprise still sees the draft


def test_pay_range_upside_down_is_refused_with_input_kept(client, login_as):
    login_as(user=builders.hr())
    response = client.form("/careers/posts/new", _form(pay_min="9000", pay_max="3000", title="倒挂岗位"),
                           token_from="/careers/posts/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "最低薪资不能高于最高薪资" in page and 'value="倒挂岗位"' in page
    assert db.session.query(JobPost).count() == 0


def test_pay_negotiable_needs_no_range_and_shows_mianyi(client, login_as):
    hr = builders.hr()
    post = builders.published_post(hr, pay_min=None, pay_max=None, pay_negotiable=True)
    assert post.pay_negotiable
    assert "面议" in client.get(f"/jobs/{post.id}").get_data(as_text=True)


def test_missing_pay_without_negotiable_is_refused(client, login_as):
    login_as(user=builders.hr())
    response = client.form("/careers/posts/new", _form(pay_min="", pay_max=""), token_from="/careers/posts/new")
    assert "请填写薪资范围，或选择“面议”" in response.get_data(as_text=True)


def test_script_in_duties_is_removed():
    post = builders.published_post(duties='<p>保养</p><script>alert(1)</script><img src=x onerror="alert(2)">')
    assert "<script" not in post.duties and "onerror" not in post.duties and "<p>保养</p>" in post.duties


def test_mentor_must_be_of_the_enterprise(app):
    from app.errors import ValidationError

    hr = builders.hr()
    other_mentor = factories.user("mentor")
    own_mentor = factories.user("mentor", enterprise_=hr.enterprise)
    post = services.create_post(hr.enterprise_id, hr, professions=[builders.profession().id],
                                **builders.post_fields(mentor_id=own_mentor.id))
    assert post.mentor_id == own_mentor.id
    try:
        services.create_post(hr.enterprise_id, hr, professions=[builders.profession().id],
                             **builders.post_fields(mentor_id=other_mentor.id))
    except ValidationError as exc:
        assert "不是本企业的企业导师" in exc.message
    else:
        raise AssertionError("a mentor of another enterprise was accepted")


def test_mentor_choices_are_the_enterprise_mentors(client, login_as):
    user = login_as(user=builders.hr())
    factories.user("mentor", enterprise_=user.enterprise, full_name="本企业师傅")
    factories.user("mentor", full_name="别家师傅")
    db.session.commit()
    page = client.get("/careers/posts/new").get_data(as_text=True)
    assert "本企业师傅" in page and "别家师傅" not in page


def test_expired_post_leaves_the_board(client):
    post = builders.published_post(title="过期岗位", expires_on=date.today() - timedelta(days=1))
    db.session.commit()
    assert "过期岗位" not in client.get("/jobs").get_data(as_text=True)
    assert client.get(f"/jobs/{post.id}").status_code == 404


def test_submitted_post_is_in_the_review_queue_and_frozen(client, login_as):
    from app.review import services as review

    hr = builders.hr()
    post = services.create_post(hr.enterprise_id, hr, professions=[builders.profession().id],
                                **builders.post_fields(title="待审岗位"))
    review.submit(post, hr)
    assert any(item.obj is post for item in review.queue())
    db.session.commit()
    login_as(user=hr)
    response = client.form(f"/careers/posts/{post.id}/edit", _form(title="改了"),
                           token_from=f"/careers/posts/{post.id}/edit")
    assert response.status_code == 200
    assert db.session.get(JobPost, post.id).title == "待审岗位"


def test_another_enterprise_cannot_edit_a_post(client, login_as):
    post = builders.published_post()
    db.session.commit()
    login_as(user=builders.hr())
    assert client.get(f"/careers/posts/{post.id}/edit").status_code == 404


def test_a_flood_of_posts_is_rate_limited(app, client, login_as):
    hr = builders.hr()
    app.config["CAREERS_POSTS_PER_HOUR"] = 3
    try:
        login_as(user=hr)
        codes = [client.form("/careers/posts/new", _form(title=f"岗位{i}"), token_from="/careers/posts/new").status_code
                 for i in range(4)]
        assert codes[:3] == [302, 302, 302] and codes[3] == 200  # the form again, with the reason
        assert db.session.query(JobPost).filter_by(enterprise_id=hr.enterprise_id).count() == 3
    finally:
        app.config.pop("CAREERS_POSTS_PER_HOUR")


def test_reviewer_approves_a_post_from_the_queue_and_it_goes_public(app, client, login_as):
    from app.review import services as review

    hr = builders.hr()
    post = services.create_post(hr.enterprise_id, hr, professions=[builders.profession().id],
                                **builders.post_fields(title="排队岗位"))
    review.submit(post, hr)
    db.session.commit()
    login_as("reviewer")
    queue = client.get("/review").get_data(as_text=True)
    assert "排队岗位" in queue and "招聘岗位" in queue
    assert client.get(f"/jobs/{post.id}").status_code == 200  # the reviewer reads it before deciding
    r = client.form(f"/review/job_post/{post.id}/approve", {"comment": ""}, token_from="/review")
    assert r.status_code == 302
    assert "排队岗位" in app.test_client().get("/jobs").get_data(as_text=True)
