"""A teacher adds a course activity on a 360 px phone by choosing its exam from a searchable list of titles:
no number is typed or shown (issue 9, item 12)."""
from __future__ import annotations

import re

from app.courses.content import DEMO_COURSE_TITLE
from app.exams.content import DEMO_EXAM
from tests.browser.conftest import PHONE, assert_fits_screen, log_in


def test_teacher_adds_an_exam_activity_by_choosing_it_from_the_list(new_context):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "teacher")
    page.goto("/courses")
    page.get_by_role("link", name=DEMO_COURSE_TITLE).first.click()
    page.wait_for_url(re.compile(r".*/courses/\d+$"))
    page.get_by_role("link", name="添加活动").first.click()
    page.wait_for_url("**/activities/new")
    assert_fits_screen(page)
    assert "编号" not in page.content()

    page.get_by_label("活动类型").select_option(label="考试")
    exams = page.get_by_label("选择考试")
    assert exams.is_visible()
    assert not page.get_by_label("选择活页教材").is_visible()  # only the chosen kind's list is shown
    search = page.get_by_placeholder("输入名称查找").locator("visible=true")
    search.fill("没有这个名称")
    assert exams.locator("option", has_text=DEMO_EXAM).is_hidden()
    search.fill("安全操作")
    exams.select_option(label=DEMO_EXAM)
    page.get_by_label("标题").fill("课前安全测验（手机添加）")
    assert_fits_screen(page)
    page.get_by_role("button", name="添加", exact=True).click()
    page.wait_for_url(re.compile(r".*/courses/\d+$"))
    page.get_by_text("活动“课前安全测验（手机添加）”已添加。").wait_for()
    assert_fits_screen(page)

    page.get_by_role("link", name="课前安全测验（手机添加）").click()
    page.wait_for_url("**/activities/*")
    page.locator("a[href^='/exams/']").first.click()
    page.wait_for_url(re.compile(r".*/exams/\d+$"))
    assert page.get_by_role("heading", name=DEMO_EXAM).first.is_visible()
