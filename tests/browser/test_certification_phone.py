"""Teacher training on a phone (360 px): programs, the progress page, the video player with server-timed
heartbeats, the certificate and its public verification page. No console error or CSP violation anywhere."""
from __future__ import annotations

from tests.browser.conftest import PHONE, WECHAT_UA, assert_fits_screen, log_in



def test_teacher_on_a_phone_sees_training_progress_and_the_player_opens_a_watch_session(new_context):
    """In WeChat's built-in browser (its user agent; the X5/XWeb engine itself cannot run here)."""
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True, user_agent=WECHAT_UA).new_page()
    log_in(page, "teacher")
    page.goto("/training")
    assert_fits_screen(page)
    page.get_by_role("link", name="工学一体化教师培训（演示项目）").click()
    page.get_by_test_id("requirements").wait_for()
    assert "还差" in page.get_by_test_id("requirements").inner_text()
    assert_fits_screen(page)
    page.goto("/media")
    libraries = page.locator("a[href^='/media/professions/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    href = None
    for library in libraries:
        page.goto(library)
        videos = page.locator("a[href^='/media/videos/']")
        if videos.count():
            href = videos.first.get_attribute("href")
            break
    assert href, "the demo has a published video"
    with page.expect_response(lambda r: "/watch-sessions" in r.url) as started:
        page.goto(href)
    assert started.value.status == 201
    page.locator("[data-watch-status]").wait_for()
    assert_fits_screen(page)


def test_certificate_and_public_verification_fit_a_phone(new_context):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "admin")
    page.goto("/progress")
    assert_fits_screen(page)
    page.locator("a[href^='/progress/schools/']").first.click()
    page.get_by_role("link", name="已发证").first.click()
    page.get_by_test_id("status").wait_for()
    assert_fits_screen(page)
    page.get_by_role("link", name="公开核验页").click()
    assert "证书有效" in page.get_by_test_id("status").inner_text()
    assert "林*" in page.content()
    assert_fits_screen(page)


def test_batch_issue_page_steps_itself_to_the_end_on_a_phone(new_context):
    """The batch page asks for chunk after chunk by itself (htmx, CSRF header from the page) until done."""
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "admin")
    page.goto("/training/batches")
    assert_fits_screen(page)
    page.get_by_role("button", name="开始批量发证").click()
    page.locator("#batch-progress .badge", has_text="已完成").wait_for(timeout=30000)
    assert "hx-post" not in page.locator("#batch-progress").evaluate("e => e.outerHTML")
    assert page.locator("#batch-progress .progress-bar").get_attribute("data-width") == "100"
    assert_fits_screen(page)
