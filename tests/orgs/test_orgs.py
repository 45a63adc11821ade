"""Schools, enterprises and partnerships through the pages."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.orgs.models import Partnership, School
from app.orgs import services as orgs_services
from tests import factories


def test_search_schools_by_name_province_and_kind(client, login_as):
    login_as("teacher")
    factories.school(name="甲市技师学院", province="湖南省", kind="technician_college")
    factories.school(name="乙县技工学校", province="湖南省", kind="technical_school")
    factories.school(name="丙市技师学院", province="湖北省", kind="technician_college")
    db.session.commit()
    page = client.get("/schools?province=湖南省").get_data(as_text=True)
    assert "甲市技师学院" in page and "乙县技工学校" in page and "丙市技师学院" not in page
    page = client.get("/schools?province=湖南省&kind=technical_school").get_data(as_text=True)
    assert "乙县技工学校" in page and "甲市技师学院" not in page
    page = client.get("/schools?q=丙市").get_data(as_text=True)
    assert "丙市技师学院" in page and "甲市技师学院" not in page


def test_platform_admin_creates_edits_and_deactivates_a_school(client, login_as):
    login_as("platform_admin")
    response = client.form("/schools/new", {"key": "new-college", "name": "新建技师学院", "kind": "technician_college",
                                            "province": "河南省", "city": "郑州市", "integrated_since": "2024-09-01"},
                           token_from="/schools/new")
    assert response.status_code == 302
    school = db.session.scalar(select(School).where(School.key == "new-college"))
    assert school.integrated_since.isoformat() == "2024-09-01"
    page = client.get(f"/schools/{school.id}").get_data(as_text=True)
    assert "2024年9月1日" in page
    response = client.form(f"/schools/{school.id}/edit", {"key": "new-college", "name": "改名技师学院",
                                                          "kind": "technician_college", "province": "河南省",
                                                          "version": "1"}, token_from="/schools/new")
    assert response.status_code == 302
    assert client.form(f"/schools/{school.id}/active", token_from="/schools").status_code == 302
    db.session.expire_all()
    school = db.session.get(School, school.id)
    assert school.name == "改名技师学院" and not school.is_active
    client.get("/schools")  # shows the flash message that names the school
    assert "改名技师学院" not in client.get("/schools").get_data(as_text=True)
    assert "改名技师学院" in client.get("/schools?active=0").get_data(as_text=True)


def test_duplicate_school_key_is_refused_clearly(client, login_as):
    login_as("platform_admin")
    factories.school(key="same-key")
    db.session.commit()
    response = client.form("/schools/new", {"key": "same-key", "name": "重复", "kind": "technician_college",
                                            "province": "河南省"}, token_from="/schools/new")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "已被使用" in page
    # Back on the form with what was typed, not on a bare error page.
    assert 'value="重复"' in page and 'value="河南省"' in page


def test_teacher_cannot_create_or_edit_schools(client, login_as):
    teacher = login_as("teacher")
    assert client.get("/schools/new").status_code == 403
    assert client.get(f"/schools/{teacher.school_id}/edit").status_code == 403


def test_school_admin_edits_own_school_and_its_partnerships_only(client, login_as):
    admin = login_as("school_admin")
    other = factories.school()
    enterprise = factories.enterprise(name="合作汽车公司")
    db.session.commit()
    assert client.get(f"/schools/{admin.school_id}/edit").status_code == 200
    assert client.get(f"/schools/{other.id}/edit").status_code == 403
    response = client.form(f"/schools/{admin.school_id}/partnerships",
                           {"enterprise_id": enterprise.id, "kind": "apprenticeship", "since": "2025-03-01"},
                           token_from=f"/schools/{admin.school_id}")
    assert response.status_code == 302
    assert "合作汽车公司" in client.get(f"/schools/{admin.school_id}").get_data(as_text=True)
    assert "学徒制" in client.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    denied = client.form(f"/schools/{other.id}/partnerships", {"enterprise_id": enterprise.id,
                                                               "kind": "apprenticeship"}, token_from="/schools")
    assert denied.status_code == 403
    assert db.session.scalar(select(Partnership).where(Partnership.school_id == other.id)) is None


def test_enterprise_pages(client, login_as):
    login_as("platform_admin")
    response = client.form("/enterprises/new", {"key": "new-ent", "name": "新企业", "industry": "餐饮",
                                                "province": "四川省"}, token_from="/enterprises/new")
    assert response.status_code == 302
    page = client.get("/enterprises?q=餐饮").get_data(as_text=True)
    assert "新企业" in page


def test_school_list_statement_count_does_not_grow(client, login_as, count_queries):
    login_as("teacher")
    for _ in range(5):
        factories.school()
    db.session.commit()
    with count_queries() as small:
        client.get("/schools")
    for _ in range(60):
        factories.school()
    db.session.commit()
    with count_queries() as big:
        client.get("/schools?page=2")
    assert small.count == big.count


def test_a_tampered_version_field_is_a_conflict_not_a_server_error(client, login_as):
    login_as("platform_admin")
    school = factories.school(key="ver-school", name="原校名")
    db.session.commit()
    response = client.form(f"/schools/{school.id}/edit", {
        "key": "ver-school", "name": "新校名", "kind": "technical_school", "province": "广东",
        "version": "1.5"}, token_from=f"/schools/{school.id}/edit")
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(type(school), school.id).name == "原校名"


def test_enterprise_list_and_school_page_statement_counts_do_not_grow(client, login_as, count_queries):
    login_as("teacher")
    school = factories.school()
    for _ in range(3):
        orgs_services.add_partnership(school, factories.enterprise(), "apprenticeship")
    db.session.commit()
    with count_queries() as small_list:
        client.get("/enterprises")
    with count_queries() as small_school:
        client.get(f"/schools/{school.id}")
    for _ in range(40):
        orgs_services.add_partnership(school, factories.enterprise(), "order_training")
    db.session.commit()
    with count_queries() as big_list:
        client.get("/enterprises?page=2")
    with count_queries() as big_school:
        client.get(f"/schools/{school.id}")
    assert small_list.count == big_list.count
    assert small_school.count == big_school.count


def test_a_school_admin_cannot_change_their_schools_key(client, login_as):
    admin = login_as("school_admin")
    school = db.session.get(School, admin.school_id)
    key = school.key
    page = client.get(f"/schools/{school.id}/edit").get_data(as_text=True)
    assert "readonly" in re.search(r'<input[^>]*name="key"[^>]*>', page).group(0)
    response = client.form(f"/schools/{school.id}/edit", {
        "key": "hijacked-key", "name": "本校新名称", "kind": school.kind, "province": school.province,
        "version": school.version}, token_from=f"/schools/{school.id}/edit")
    assert response.status_code == 302
    db.session.expire_all()
    school = db.session.get(School, admin.school_id)
    assert school.key == key and school.name == "本校新名称"


def test_adding_an_existing_partnership_is_refused_on_the_same_form(client, login_as):
    admin = login_as("school_admin")
    enterprise = factories.enterprise(name="合作汽车公司")
    orgs_services.add_partnership(admin.school, enterprise, "apprenticeship")
    db.session.commit()
    url = f"/schools/{admin.school_id}/partnerships"
    response = client.form(url, {"enterprise_id": enterprise.id, "kind": "apprenticeship", "since": "2025-03-01"},
                           token_from=f"/schools/{admin.school_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "该校企合作已存在" in page and "已添加" not in page
    form = page[page.index('id="partnership-form"'):]
    assert f'<option selected value="{enterprise.id}">合作汽车公司</option>' in form
    assert '<option selected value="apprenticeship">' in form and 'value="2025-03-01"' in form
    assert db.session.scalar(select(func.count()).select_from(Partnership).where(
        Partnership.school_id == admin.school_id)) == 1
    missing = client.form(url, {"kind": "apprenticeship"}, token_from=f"/schools/{admin.school_id}")
    assert missing.status_code == 200 and "请选择合作企业和合作形式" in missing.get_data(as_text=True)
    other_kind = client.form(url, {"enterprise_id": enterprise.id, "kind": "order_training"},
                             token_from=f"/schools/{admin.school_id}")
    assert other_kind.status_code == 302  # another form of cooperation with the same enterprise is new
