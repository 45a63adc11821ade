"""List pages: paging and filter links survive whatever a person types into the address bar."""
from __future__ import annotations

from app.extensions import db
from tests import factories


def test_a_page_number_past_the_end_or_too_large_for_the_database_shows_the_last_page(client, login_as):
    login_as("platform_admin")
    for _ in range(30):
        factories.school(province="青海")
    db.session.commit()
    for url in ("/schools?province=青海&page=99999999999999999999", "/users?page=99999999999999999999",
                "/professions?page=99999999999999999999", "/schools?province=青海&page=500"):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get("/schools?province=青海&page=99999999999999999999").get_data(as_text=True)
    assert 'aria-current="page">2<' in page
