"""Demonstration bases: apply (evidence, partners from 校企合作), score (independence, one score per expert),
decide, accept, publish once; the history; the public list and JSON."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.alliances import services
from app.alliances.models import BaseApplication, BaseApplicationEvent, BaseEvidence, ExpertScore
from app.errors import PermissionDenied
from app.extensions import db
from app.orgs import services as orgs
from tests import factories
from tests.media import samples

CRITERIA = [{"name": "校企合作机制", "max_score": 40, "evidence": True},
            {"name": "一体化课程实施", "max_score": 60, "evidence": False}]


@pytest.fixture
def setup(app):
    committee = services.committee_by_key("new-catering")
    services.set_criteria(committee, CRITERIA)
    school = factories.school(province="山东省")
    admin = factories.user("school_admin", school_=school)
    partner = orgs.add_partnership(school, factories.enterprise(name="鲁菜餐饮有限公司"), "apprenticeship")
    other_partner = orgs.add_partnership(factories.school(), factories.enterprise(), "apprenticeship")
    expert = factories.user("reviewer", school_=factories.school())
    own_expert = factories.user("teacher", school_=school)
    manager = factories.user("teacher", school_=factories.school())
    for user in (expert, own_expert):
        services.add_expert(committee, user)
    services.add_manager(committee, manager)
    db.session.commit()
    profession = committee.professions[0]
    return type("S", (), dict(committee=committee, school=school, admin=admin, partner=partner,
                              other_partner=other_partner, expert=expert, own_expert=own_expert, manager=manager,
                              profession=profession))


def _apply(client, s, *, evidence=True, partners=None, score0="30"):
    data = {"profession_id": str(s.profession.id), "summary": "建设概况", "score-0": score0, "text-0": "订单班",
            "score-1": "50", "text-1": "六步法", "partners": partners if partners is not None else [str(s.partner.id)]}
    if evidence:
        data["evidence-0"] = [(io.BytesIO(samples.pdf()), "合作协议.pdf")]
    url = f"/committees/{s.committee.id}/apply"
    return client.form(url, data, content_type="multipart/form-data", token_from=url)


def _submitted(client, login_as, s) -> BaseApplication:
    own = client.application.test_client()
    login_as(user=s.admin, client_=own)
    response = _apply(own, s)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return db.session.scalar(select(BaseApplication).where(BaseApplication.school_id == s.school.id))


def test_school_admin_applies_with_evidence_and_partners(client, login_as, setup):
    application = _submitted(client, login_as, setup)
    assert application.state == "submitted"
    assert [p.partnership_id for p in application.partners] == [setup.partner.id]
    assert db.session.scalar(select(BaseEvidence.criterion).where(BaseEvidence.application_id == application.id)) == 0
    assert application.self_assessment == [{"score": 30, "text": "订单班"}, {"score": 50, "text": "六步法"}]


def test_application_missing_required_evidence_is_refused_with_the_list(client, login_as, setup):
    login_as(user=setup.admin)
    response = _apply(client, setup, evidence=False)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "以下评审标准缺少佐证材料：校企合作机制" in page
    assert "订单班" in page  # what was typed is kept
    assert db.session.scalar(select(BaseApplication.id)) is None


@pytest.mark.parametrize("change", ["other_school_partner", "score_above_max", "score_not_a_number"])
def test_bad_application_input_is_refused_on_the_form(client, login_as, setup, change):
    login_as(user=setup.admin)
    if change == "other_school_partner":
        response = _apply(client, setup, partners=[str(setup.other_partner.id)])
    else:
        response = _apply(client, setup, score0="41" if change == "score_above_max" else "很多")
    assert response.status_code == 200 and "alert-danger" in response.get_data(as_text=True)
    assert db.session.scalar(select(BaseApplication.id)) is None


def test_upload_rules_apply_to_evidence(client, login_as, setup):
    login_as(user=setup.admin)
    data = {"profession_id": str(setup.profession.id), "score-0": "30", "score-1": "50",
            "evidence-0": [(io.BytesIO(b"MZ\x90 not a pdf"), "协议.pdf")]}
    url = f"/committees/{setup.committee.id}/apply"
    response = client.form(url, data, content_type="multipart/form-data", token_from=url)
    assert response.status_code == 200
    assert db.session.scalar(select(BaseApplication.id)) is None


def test_a_teacher_cannot_apply(client, login_as, setup):
    login_as("teacher")
    assert client.get(f"/committees/{setup.committee.id}/apply").status_code == 403


def test_expert_from_the_applicant_school_is_refused(client, login_as, setup):
    application = _submitted(client, login_as, setup)
    login_as(user=setup.own_expert)
    response = client.form(f"/base-applications/{application.id}/score", {"score-0": "40", "score-1": "60"},
                           token_from=f"/base-applications/{application.id}")
    assert response.status_code == 403
    assert db.session.scalar(select(ExpertScore.id)) is None
    assert client.get(f"/base-applications/{application.id}").status_code == 403  # not even to read
    # The service refuses too, not only the page:
    with pytest.raises(PermissionDenied):
        services.score_application(application, setup.own_expert, [40, 60])


def test_second_score_by_the_same_expert_is_a_conflict_not_an_overwrite(client, login_as, setup):
    application = _submitted(client, login_as, setup)
    login_as(user=setup.expert)
    url = f"/base-applications/{application.id}"
    first = client.form(f"{url}/score", {"score-0": "35", "score-1": "55", "comment": "好"}, token_from=url)
    assert first.status_code == 302
    second = client.form(f"{url}/score", {"score-0": "10", "score-1": "10"}, token_from=url)
    assert second.status_code == 200 and "不能修改" in second.get_data(as_text=True)
    assert db.session.scalars(select(ExpertScore.total)).all() == [90]


def test_score_outside_the_rubric_is_refused(client, login_as, setup):
    application = _submitted(client, login_as, setup)
    login_as(user=setup.expert)
    url = f"/base-applications/{application.id}"
    response = client.form(f"{url}/score", {"score-0": "99", "score-1": "55"}, token_from=url)
    assert response.status_code == 200 and "0 到 40" in response.get_data(as_text=True)


def test_expert_does_not_see_other_experts_scores_or_own_school_applications(client, login_as, setup):
    application = _submitted(client, login_as, setup)
    services.score_application(application, setup.expert, [30, 40], "秘密意见")
    db.session.commit()
    other = factories.user("teacher", school_=factories.school())
    services.add_expert(setup.committee, other)
    db.session.commit()
    login_as(user=other)
    assert "秘密意见" not in client.get(f"/base-applications/{application.id}").get_data(as_text=True)
    assert services.applications_for(setup.own_expert, setup.committee) == []


def test_decide_accept_publish_once_and_history(client, login_as, setup):
    application = _submitted(client, login_as, setup)
    services.score_application(application, setup.expert, [35, 55])
    db.session.commit()
    login_as(user=setup.manager)
    url = f"/base-applications/{application.id}"
    assert client.form(f"{url}/decide", {"decision": "pass"}, token_from=url).status_code == 302
    assert client.form(f"{url}/accept", {"note": "验收合格"}, token_from=url).status_code == 302
    assert client.form(f"{url}/publish", {"batch_number": "1"}, token_from=url).status_code == 302
    again = client.form(f"{url}/publish", {"batch_number": "2"}, token_from=url)
    assert again.status_code == 200 and "不能重复公布" in again.get_data(as_text=True)
    states = db.session.scalars(select(BaseApplicationEvent.to_state).where(
        BaseApplicationEvent.application_id == application.id).order_by(BaseApplicationEvent.id)).all()
    assert states == ["submitted", "passed", "accepted", "published"]
    client = client.application.test_client()
    page = client.get("/bases").get_data(as_text=True)
    assert setup.school.name in page and "第 1 批" in page
    body = client.get("/api/v1/bases").get_json()
    assert body["items"][0]["school"] == setup.school.name and body["items"][0]["batch"] == 1
    assert client.get("/bases?province=山东省").status_code == 200


def test_rework_and_reject_need_a_reason_and_a_non_manager_cannot_decide(client, login_as, setup):
    application = _submitted(client, login_as, setup)
    login_as(user=setup.expert)
    url = f"/base-applications/{application.id}"
    assert client.form(f"{url}/decide", {"decision": "reject", "note": "x"}, token_from=url).status_code == 403
    client = client.application.test_client()
    login_as(user=setup.manager, client_=client)
    response = client.form(f"{url}/decide", {"decision": "rework"}, token_from=url)
    assert response.status_code == 200 and "请写明理由" in response.get_data(as_text=True)
    assert client.form(f"{url}/decide", {"decision": "pass"}, token_from=url).status_code == 200  # no score yet


def test_applications_of_other_schools_are_not_shown_to_a_school_admin(client, login_as, setup):
    application = _submitted(client, login_as, setup)
    login_as("school_admin")
    assert client.get(f"/base-applications/{application.id}").status_code == 403
