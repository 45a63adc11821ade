"""The job board on a 360 px phone, without logging in, then the demo student's application and the HR user's
pages: every page fits the screen and logs no console error (a CSP violation would be one)."""
from __future__ import annotations

from tests.browser.conftest import PHONE, WECHAT_UA, assert_fits_screen, log_in


def test_job_board_and_applications_fit_a_phone(new_context):
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True, user_agent=WECHAT_UA)
    page = context.new_page()
    page.goto("/jobs")
    assert page.get_by_role("heading", name="招聘岗位").is_visible()
    assert_fits_screen(page)
    page.get_by_role("link", name="汽车机电维修技师").click()
    page.wait_for_url("**/jobs/*")
    assert page.get_by_text("6,000–9,000 元/月").is_visible()
    assert_fits_screen(page)
    page.goto("/jobs?city=佛山市")
    assert page.get_by_text("焊接机器人操作工").is_visible()
    assert page.get_by_text("汽车机电维修技师").count() == 0
    assert_fits_screen(page)

    student = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(student, "student")
    student.goto("/careers/applications")
    assert_fits_screen(student)
    student.get_by_role("link", name="汽车维修实习生（岗位实习）").click()
    student.wait_for_url("**/careers/applications/*")
    assert student.get_by_role("button", name="撤回投递").is_visible()
    assert_fits_screen(student)

    hr = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(hr, "hr")
    for path in ("/careers/posts", "/careers/posts/new", "/careers/demand", "/careers/applications"):
        hr.goto(path)
        assert_fits_screen(hr)
