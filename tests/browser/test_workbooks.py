"""A workbook page from the author's editor through review to a student's phone."""
from __future__ import annotations

import re

from tests.browser.conftest import PHONE, assert_fits_screen, log_in

SOURCE = """本页练习识读制动系统图。

```worksheet
- key: parts
  type: checklist
  label: bx-勾选你认出的部件
  items: [制动钳, 制动盘, 制动片]
- key: notes
  type: long_text
  label: bx-记录你的疑问
```
"""


def test_teacher_writes_a_page_reviewer_approves_it_and_a_student_reads_it_on_a_phone(new_context):
    teacher = new_context().new_page()
    log_in(teacher, "teacher")
    teacher.goto("/workbooks")
    teacher.get_by_role("link", name="汽车维修").click()
    teacher.get_by_role("link", name="新建活页教材").first.click()
    teacher.get_by_label("标题").fill("bx-制动系统识图工作页")
    teacher.get_by_role("button", name="保存").click()
    teacher.get_by_role("link", name="添加活页").first.click()
    teacher.get_by_label("页面标题").fill("bx-识读制动系统图")
    teacher.get_by_label("内容（Markdown）").fill(SOURCE)
    teacher.get_by_label("修订说明").fill("首次编写")
    teacher.get_by_role("button", name="保存草稿").click()
    teacher.get_by_text("此版本尚未发布，学员看不到。").wait_for()
    teacher.get_by_role("button", name="提交审核").click()
    teacher.get_by_text("已提交审核").first.wait_for()
    page_url = re.search(r"/workbook-pages/\d+", teacher.url).group(0)  # the reader URL of the new page

    reviewer = new_context().new_page()
    log_in(reviewer, "reviewer")
    reviewer.goto("/review")
    card = reviewer.get_by_test_id("queue-item").filter(has_text="bx-识读制动系统图")
    card.get_by_role("button", name="通过并发布").click()
    reviewer.get_by_text("已通过审核并发布").wait_for()

    student = new_context(viewport=PHONE).new_page()
    log_in(student, "student")
    student.goto(page_url)
    student.get_by_text("bx-勾选你认出的部件").wait_for()
    assert student.get_by_text("制动钳").is_visible()
    assert_fits_screen(student)
    student.goto(page_url + "/history")
    student.get_by_text("首次编写").wait_for()
