"""Ids in addresses: a number too large for any database id is a plain 404, never a 500 from the driver."""
from __future__ import annotations

import pytest

from app.core.routing import MAX_ID


@pytest.mark.parametrize("path", ["/exams/{}", "/courses/{}", "/schools/{}", "/api/courses/{}/students/1/progress"])
def test_an_id_too_large_for_the_database_is_not_found(client, login_as, path):
    login_as("platform_admin")
    for number in (MAX_ID + 1, 10**30):
        response = client.get(path.format(number))
        assert response.status_code == 404, (path, number, response.status_code)


def test_the_largest_id_still_reaches_the_page_which_says_not_found(client, login_as):
    login_as("platform_admin")
    response = client.get(f"/exams/{MAX_ID}")
    assert response.status_code == 404
    assert "找不到" in response.get_data(as_text=True) or "不存在" in response.get_data(as_text=True)
