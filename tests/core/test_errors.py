"""The 500 page: same layout, Chinese, no traceback, and nothing of the failed request is kept."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.orgs.models import School
from tests import factories


def test_an_unexpected_error_shows_the_500_page_and_keeps_nothing(app, client, monkeypatch):
    def broken():
        factories.school(key="half-written")
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "ops.healthz", broken)
    response = client.get("/healthz")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "服务器内部错误" in page and "返回首页" in page and "boom" not in page and "Traceback" not in page
    assert client.get("/healthz", headers={"Accept": "application/json"}).json["error"]["status"] == 500
    assert db.session.scalar(select(School).where(School.key == "half-written")) is None
