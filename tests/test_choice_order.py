"""Drop-downs of Chinese names (professions, schools, enterprises) are in pinyin order, as a Chinese reader looks
for them (光伏 < 健康 < 信息), not in code-point order (信息 < 健康 < 光伏) — issue 9, item 11."""
from __future__ import annotations

import re

import pytest

from app.catalog.models import Profession
from app.core.i18n import by_pinyin, pinyin_key, sort_choices
from app.extensions import db
from tests import factories

NAMES = ["信息安全测试专业", "健康照护测试专业", "光伏运维测试专业"]
PINYIN_ORDER = ["光伏运维测试专业", "健康照护测试专业", "信息安全测试专业"]


def test_pinyin_order_differs_from_code_point_order():
    assert sorted(NAMES) == NAMES  # code point order puts 信 first
    assert by_pinyin(NAMES) == PINYIN_ORDER
    assert pinyin_key("电工") < pinyin_key("Excel 应用") < pinyin_key("光伏")  # Latin letters sort among the pinyin
    assert sort_choices([(3, "信息"), (0, "（不指定）"), (2, "光伏")]) == [(0, "（不指定）"), (2, "光伏"), (3, "信息")]


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return [re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r"<option[^>]*>(.*?)</option>",
                                                                          select.group(1), re.S)]


@pytest.mark.parametrize("url,role,name", [
    ("/courses/new", "teacher", "profession_id"),
    ("/questions/banks/new", "teacher", "profession_id"),
    ("/media/upload", "teacher", "profession_id"),
    ("/standards/new", "platform_admin", "profession_id"),
])
def test_profession_drop_downs_are_in_pinyin_order(client, login_as, url, role, name):
    for n, label in enumerate(NAMES):
        db.session.add(Profession(key=f"order-test-{n}", name=label))
    db.session.commit()
    login_as(role)
    response = client.get(url)
    assert response.status_code == 200
    labels = [label for label in _options(response.get_data(as_text=True), name) if label in NAMES]
    assert labels == PINYIN_ORDER


def test_school_and_enterprise_drop_downs_are_in_pinyin_order(client, login_as):
    for label in ("信息工程测试学院", "健康测试学院", "光伏测试学院"):
        factories.school(name=label)
    for label in ("信息测试企业", "光伏测试企业"):
        factories.enterprise(name=label)
    db.session.commit()
    login_as("platform_admin")
    page = client.get("/users/new").get_data(as_text=True)
    schools = [s for s in _options(page, "school_id") if s.endswith("测试学院")]
    assert schools == ["光伏测试学院", "健康测试学院", "信息工程测试学院"]
    enterprises = [e for e in _options(page, "enterprise_id") if e.endswith("测试企业")]
    assert enterprises == ["光伏测试企业", "信息测试企业"]
    school = factories.school(name="合作测试学院")
    db.session.commit()
    partners = _options(client.get(f"/schools/{school.id}").get_data(as_text=True), "enterprise_id")
    assert [e for e in partners if e.endswith("测试企业")] == ["光伏测试企业", "信息测试企业"]
