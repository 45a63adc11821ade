"""Committee and alliance pages, the list by industry field, the public JSON list."""
from __future__ import annotations

from app.alliances import services
from app.extensions import db
from tests import factories


def test_committee_list_is_public_and_filters_by_field(client):
    from app.catalog.models import IndustryField
    from sqlalchemy import select

    page = client.get("/committees").get_data(as_text=True)
    assert "山东省城市服务技师学院" in page and "广东省珠海技师学院" in page
    field = db.session.scalar(select(IndustryField).where(IndustryField.name == "新餐饮"))
    page = client.get(f"/committees?field={field.id}").get_data(as_text=True)
    assert "山东省城市服务技师学院" in page and "广东省珠海技师学院" not in page
    assert client.get("/committees?field=abc").status_code == 200


def test_committee_page_groups_members_by_role_with_chinese_labels(client):
    committee = services.committee_by_key("auto-manufacturing-repair")
    page = client.get(f"/committees/{committee.id}").get_data(as_text=True)
    assert "主任单位" in page and "副主任单位" in page and "产业技术及就业支持企业" in page
    assert "山东省交通技师学院" in page and "汽车维修" in page
    for key in ("industry_support", "chair", "deputy", "guidance"):
        assert key not in page
    assert client.get("/committees/999999").status_code == 404


def test_alliance_page_lists_its_committees(client):
    alliance = services.alliances()[0]
    page = client.get(f"/alliances/{alliance.id}").get_data(as_text=True)
    assert "技工院校高技能人才培养联盟" in page
    assert page.count("/committees/") >= 13


def test_api_committees_lists_name_field_lead_and_member_count(client):
    body = client.get("/api/v1/committees").get_json()
    assert set(body) == {"items"} and len(body["items"]) == 13
    catering = next(i for i in body["items"] if i["industry_field"] == "新餐饮")
    assert set(catering) == {"name", "industry_field", "lead_organisation", "member_count"}
    assert catering["lead_organisation"] == "山东省城市服务技师学院" and catering["member_count"] == 6


def test_committee_page_statement_count_does_not_grow_with_members(client, count_queries, login_as):
    committee = services.committee_by_key("industrial-iot")
    expert_school = factories.school()
    services.add_expert(committee, factories.user("teacher", school_=expert_school), title="物联网")
    db.session.commit()
    manager = factories.user("teacher", school_=expert_school)
    services.add_manager(committee, manager)
    _applications(committee, 2)
    db.session.commit()
    login_as(user=manager)
    with count_queries() as before:
        client.get(f"/committees/{committee.id}")
    for n in range(40):
        services.add_committee_member(committee, role="participant", school=factories.school())
        services.add_committee_member(committee, role="master_studio", name=f"技能大师工作室{n}")
        services.add_expert(committee, factories.user("teacher", school_=factories.school()))
    _applications(committee, 60)
    db.session.commit()
    with count_queries() as after:
        page = client.get(f"/committees/{committee.id}").get_data(as_text=True)
    assert "技能大师工作室39" in page and page.count("/base-applications/") == 62
    assert before.count == after.count, "\n".join(s[:200].replace("\n", " ") for s in after.statements)


def _applications(committee, n):
    """``n`` applications of different schools (straight rows: the workflow has its own tests)."""
    from app.alliances.models import BaseApplication

    profession = committee.professions[0]
    for _ in range(n):
        db.session.add(BaseApplication(committee_id=committee.id, school_id=factories.school().id,
                                       profession_id=profession.id, state="submitted"))
    db.session.flush()
