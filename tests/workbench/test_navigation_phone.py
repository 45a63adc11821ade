"""Phone navigation: learners get the tab bar (首页 / 课程 / 任务 / 消息 / 我的); menus show only what a role can use."""
from __future__ import annotations

import re


def _tabs(html: str) -> list[str]:
    if 'data-testid="tabbar"' not in html:
        return []
    bar = html.split('data-testid="tabbar"')[1].split("</nav>")[0]
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<a class="nav-link[^"]*"[^>]*>(.*?)</a>', bar)]


def test_student_gets_the_tab_bar_with_the_current_tab_marked(client, login_as):
    login_as("student")
    html = client.get("/tasks").get_data(as_text=True)
    assert _tabs(html) == ["首页", "课程", "任务", "消息", "我的"]
    bar = html.split('data-testid="tabbar"')[1].split("</nav>")[0]
    assert 'class="nav-link active" aria-current="page" href="/tasks"' in bar
    account = client.get("/account").get_data(as_text=True)
    assert 'data-testid="phone-more"' in account and "退出登录" in account


def test_staff_keep_the_menu(client, login_as):
    login_as("teacher")
    assert _tabs(client.get("/home").get_data(as_text=True)) == []


def test_student_menu_has_no_admin_schools_or_enterprises(client, login_as):
    login_as("student")
    nav = client.get("/home").get_data(as_text=True).split('aria-label="主导航"')[1].split("</nav>")[0]
    assert 'href="/schools"' not in nav and 'href="/enterprises"' not in nav and ">管理<" not in nav


def test_school_admin_still_has_schools_and_enterprises(client, login_as):
    login_as("school_admin")
    nav = client.get("/home").get_data(as_text=True).split('aria-label="主导航"')[1].split("</nav>")[0]
    assert 'href="/schools"' in nav and 'href="/enterprises"' in nav
