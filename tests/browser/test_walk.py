"""Every page each demo role reaches from its home page (navigation, tab bar, workbench links), at 360 px, the way
a new user walks through: no serious or critical axe-core violation and nothing wider than the screen. The
per-journey checks cover the pages a journey needs; this covers the rest of what a role can click on (the red
'target missed' lines on 百千万目标进展 failed colour contrast and no journey went there)."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import PHONE, assert_fits_screen, axe_violations, log_in

ROLES = ["student", "teacher", "mentor", "reviewer", "schooladmin", "admin"]


def _reachable_paths(page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    paths = []
    for h in hrefs:
        if not h or h.startswith(("#", "javascript:", "mailto:", "http")) or "logout" in h or h.endswith(
                (".ics", ".xlsx", ".csv", ".pdf")):
            continue
        path = urlparse(h).path
        if path not in paths and "/export" not in path and "/download" not in path:
            paths.append(path)
    return paths


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_can_reach_passes_axe_and_fits_a_phone(new_context, username):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True).new_page()
    log_in(page, username)
    paths = _reachable_paths(page)
    assert len(paths) >= 4, paths
    problems = []
    for path in paths:
        page.goto(path)
        assert_fits_screen(page)
        problems += axe_violations(page)
    assert not problems, "\n".join(problems)


def test_the_user_list_keeps_its_action_buttons_on_a_phone_screen(new_context):
    """At 360 px the list of users scrolled sideways and 编辑 / 停用 sat off screen: rows become cards."""
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "schooladmin")
    page.goto("/users")
    assert_fits_screen(page)
    buttons = page.get_by_test_id("user-list").get_by_role("link", name="编辑")
    assert buttons.count() >= 3
    for i in range(buttons.count()):
        box = buttons.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_the_program_list_keeps_its_title_readable_and_buttons_on_a_phone_screen(new_context):
    """At 360 px the 培训项目管理 list squeezed the programme title to two characters a line."""
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "admin")
    page.goto("/training/admin")
    assert_fits_screen(page)
    listing = page.get_by_test_id("program-list")
    title_cell = listing.locator("tbody td").first.bounding_box()
    assert title_cell["width"] > PHONE["width"] * 0.8, title_cell
    edit = listing.get_by_role("link", name="编辑").first.bounding_box()
    assert edit["x"] + edit["width"] <= PHONE["width"], edit
