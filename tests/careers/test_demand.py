"""Demand lists (三张清单): edited by the enterprise's HR user, aggregated for platform and school admins."""
from __future__ import annotations

from app.careers import services
from app.careers.models import DemandEntry
from app.extensions import db
from tests import factories
from tests.careers import builders


def test_hr_adds_talent_technology_and_product_lines(client, login_as):
    hr = login_as(user=builders.hr())
    prof = builders.profession()
    r = client.form("/careers/demand/talent", {"talent-profession_id": str(prof.id), "talent-skill_level_id": "0",
                                               "talent-headcount": "12", "talent-needed_by": "2027-07-01"},
                    token_from="/careers/demand")
    assert r.status_code == 302
    client.form("/careers/demand/technology", {"technology-title": "焊接机器人离线编程"}, token_from="/careers/demand")
    client.form("/careers/demand/product", {"product-title": "新能源汽车驱动电机"}, token_from="/careers/demand")
    page = client.get("/careers/demand").get_data(as_text=True)
    assert prof.name in page and "12 人" in page and "焊接机器人离线编程" in page and "新能源汽车驱动电机" in page
    lists = services.demand_lists(hr.enterprise_id)
    assert all(lists[k] and lists[k].entries for k in ("talent", "technology", "product"))


def test_talent_line_without_headcount_is_refused_with_input_kept(client, login_as):
    login_as(user=builders.hr())
    prof = builders.profession()
    r = client.form("/careers/demand/talent", {"talent-profession_id": str(prof.id), "talent-skill_level_id": "0",
                                               "talent-headcount": "", "talent-needed_by": "2027-07-01"},
                    token_from="/careers/demand")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "请填写需求人数" in page and 'value="2027-07-01"' in page
    assert db.session.query(DemandEntry).count() == 0


def test_another_enterprise_cannot_delete_a_line(client, login_as):
    hr = builders.hr()
    entry = services.add_demand_entry(hr.enterprise_id, "product", title="发动机")
    db.session.commit()
    login_as(user=builders.hr())
    r = client.form(f"/careers/demand/entries/{entry.id}/delete", {}, token_from="/careers/demand")
    assert r.status_code == 404
    assert db.session.get(DemandEntry, entry.id) is not None


def test_only_hr_edits_demand_lists(client, login_as):
    login_as("teacher")
    assert client.get("/careers/demand").status_code == 403


def test_summary_by_profession_and_province_for_admins(client, login_as):
    prof = builders.profession()
    a = builders.hr(factories.enterprise(province="广东省"))
    b = builders.hr(factories.enterprise(province="广东省"))
    c = builders.hr(factories.enterprise(province="江苏省"))
    services.add_demand_entry(a.enterprise_id, "talent", profession_id=prof.id, headcount=10)
    services.add_demand_entry(b.enterprise_id, "talent", profession_id=prof.id, headcount=5)
    services.add_demand_entry(c.enterprise_id, "talent", profession_id=prof.id, headcount=7)
    rows = {(r["profession"], r["province"]): r for r in services.talent_demand_summary()}
    assert rows[(prof.name, "广东省")]["headcount"] == 15 and rows[(prof.name, "广东省")]["enterprises"] == 2
    assert rows[(prof.name, "江苏省")]["headcount"] == 7
    db.session.commit()
    login_as("school_admin")
    page = client.get("/careers/demand/summary").get_data(as_text=True)
    assert prof.name in page and "江苏省" in page


def test_summary_is_not_for_students(client, login_as):
    login_as("student")
    assert client.get("/careers/demand/summary").status_code == 403
