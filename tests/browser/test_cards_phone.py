"""Wide learner lists on a 360 px phone: the transcript turns into cards below 576 px, so each course's result and
its 查看成绩 button are on screen without sideways scrolling, and the button leads to the course's grades."""
from __future__ import annotations

from tests.browser.conftest import PHONE, assert_fits_screen, log_in


def test_transcript_rows_are_cards_with_the_action_on_a_360px_screen(new_context):
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, "student")
    page.goto("/transcript")
    assert_fits_screen(page)
    rows = page.locator('[data-testid="transcript"] tbody tr')
    assert rows.count() >= 1
    button = rows.first.locator('[data-testid="transcript-action"]')
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert page.locator('[data-testid="transcript"] thead').bounding_box()["height"] <= 1  # headings hidden
    label = rows.first.locator('td[data-label="结果"]').evaluate(
        "td => getComputedStyle(td, '::before').content")
    assert label == '"结果："', label  # each value carries its label
    button.click()
    page.wait_for_url("**/courses/*/grades")


def test_transcript_stays_a_table_on_a_wide_screen(new_context):
    context = new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, "student")
    page.goto("/transcript")
    assert page.locator('[data-testid="transcript"] thead').is_visible()
    label = page.locator('[data-testid="transcript"] tbody tr td[data-label="结果"]').first.evaluate(
        "td => getComputedStyle(td, '::before').content")
    assert label in ("none", "normal"), label


def test_course_tabs_scroll_sideways_on_a_phone_with_a_visible_hint(new_context):
    """A teacher's course tabs (活动 … 设置) do not fit 360 px: the row scrolls by itself (the page does not), and
    its edges carry the scroll shadows that tell there are more tabs."""
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, "teacher")
    page.goto("/courses")
    hrefs = page.evaluate("() => [...new Set([...document.querySelectorAll('main a')].map(a => a.getAttribute('href'))"
                          ".filter(h => /^\\/courses\\/\\d+$/.test(h || '')))]")
    tabs = page.locator("ul.course-tabs")
    for href in hrefs:  # the teacher also learns in training courses, which have no tabs for them
        page.goto(href)
        if tabs.count():
            break
    assert tabs.count() == 1, f"no course the demo teacher teaches among {hrefs}"
    assert_fits_screen(page)
    overflow = tabs.evaluate("ul => [ul.scrollWidth, ul.clientWidth, getComputedStyle(ul).overflowX]")
    assert overflow[0] > overflow[1] and overflow[2] == "auto", overflow
    hint = tabs.evaluate("ul => getComputedStyle(ul).backgroundImage")
    assert hint.count("radial-gradient") == 2, hint
