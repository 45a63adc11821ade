"""The navigation groups entries into menus, shows each role what it may open, and marks the current page."""
from __future__ import annotations


def _nav(html: str) -> str:
    return html.split('aria-label="主导航"')[1].split("</nav>")[0]


def test_admin_navigation_is_grouped_into_menus(client, login_as):
    login_as("platform_admin")
    nav = _nav(client.get("/schools").get_data(as_text=True))
    for menu in ("资源库", "教学", "师资", "管理"):
        assert f'data-bs-toggle="dropdown" aria-expanded="false">{menu}</a>' in nav
    assert 'class="dropdown-item active" aria-current="page" href="/schools"' in nav
    assert nav.count("nav-link dropdown-toggle active") == 1  # the 管理 menu holds the current page


def test_student_sees_no_admin_entries(client, login_as):
    login_as("student")
    nav = _nav(client.get("/home").get_data(as_text=True))
    assert "/users" not in nav and "/review" not in nav and "/exams/new" not in nav
    assert 'href="/home"' in nav and "我的考试" in nav
