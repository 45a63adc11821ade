"""Everyday use at 360 px: each role's workbench shows its to-dos; learners move with the bottom tab bar; the new
pages (workbench, messages, message settings, account with the calendar address) have no serious or critical
axe-core violation."""
from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, assert_fits_screen, axe_violations, log_in, log_out

#: username, pages checked with axe-core besides the workbench.
ROLES = [
    ("student", ["/notifications", "/notifications/preferences", "/account", "/courses", "/tasks"]),
    ("teacher", ["/notifications", "/account"]),
    ("mentor", ["/notifications"]),
    ("reviewer", ["/notifications"]),
    ("schooladmin", ["/notifications"]),
    ("admin", ["/notifications", "/notifications/webhooks"]),
]


@pytest.mark.parametrize("username,pages", ROLES, ids=[r[0] for r in ROLES])
def test_every_role_s_new_pages_pass_axe_at_phone_width(new_context, username, pages):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True).new_page()
    log_in(page, username)
    assert page.get_by_test_id("todo").is_visible()
    assert_fits_screen(page)
    problems = axe_violations(page)
    for path in pages:
        page.goto(path)
        assert_fits_screen(page)
        problems += axe_violations(page)
    assert not problems, "\n".join(problems)


def test_demo_student_and_teacher_see_their_to_dos_and_the_student_uses_the_tab_bar(new_context):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "student")
    items = page.get_by_test_id("todo-item")
    kinds = {items.nth(i).get_attribute("data-kind") for i in range(items.count())}
    assert {"tasks.stage", "exams.open"} <= kinds
    tabbar = page.get_by_test_id("tabbar")
    assert tabbar.is_visible()
    labels = [tabbar.get_by_role("link").nth(i).inner_text().strip() for i in range(5)]
    assert [label.split()[0] for label in labels] == ["首页", "课程", "任务", "消息", "我的"]
    tabbar.get_by_role("link", name="任务").click()
    page.wait_for_url("**/tasks")
    assert tabbar.get_by_role("link", name="任务").get_attribute("aria-current") == "page"
    tabbar.get_by_role("link", name="消息").click()
    page.wait_for_url("**/notifications")
    assert_fits_screen(page)
    # the first to-do leads where the work is done
    page.goto("/home")
    page.get_by_test_id("todo-item").filter(has_text="完成环节").first.get_by_role("link").click()
    page.wait_for_url("**/tasks/submissions/**")
    log_out(page)
    page.wait_for_url("**/login**")

    log_in(page, "teacher")
    text = page.get_by_test_id("todo").inner_text()
    assert "审批" in text and "赵同学" in text and "批改" in text
    assert not page.get_by_test_id("tabbar").is_visible()


def test_the_axe_check_finds_low_contrast(new_context):
    """The check itself: the old navbar colours (#e7f1ff on #0d6efd, 3.94:1) are reported as serious."""
    page = new_context(viewport=PHONE, bypass_csp=True).new_page()
    page.goto("/login")
    page.evaluate("""() => { const p = document.createElement('p');
        p.textContent = '低对比度文字'; p.style.color = '#e7f1ff'; p.style.background = '#0d6efd';
        document.querySelector('main').appendChild(p); }""")
    assert any("color-contrast" in v for v in axe_violations(page))
