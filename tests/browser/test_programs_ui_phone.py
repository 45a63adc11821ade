"""Program management, offline training and the 学时 page in a real browser at 360 px: found through the
navigation menus, forms submitted, no console error or CSP violation, nothing wider than the screen."""
from __future__ import annotations

import csv
import io
import uuid

from tests.browser.conftest import PHONE, assert_fits_screen, log_in



def test_admin_creates_and_unpublishes_a_program_on_a_phone(new_context):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "admin")
    page.goto("/training/admin")
    assert_fits_screen(page)
    page.get_by_role("link", name="新建培训项目").first.click()
    assert_fits_screen(page)
    key = f"bx-{uuid.uuid4().hex[:8]}"
    page.get_by_label("项目代码").fill(key)
    page.get_by_label("项目名称").fill(f"浏览器创建的项目 {key}")
    page.get_by_label("层级", exact=True).select_option(index=0)
    page.locator("#courses-0-course_id").select_option(index=1)
    page.locator("#courses-0-min_hours").fill("2")
    page.locator("#courses-0-credit_hours").fill("1")
    page.get_by_label("总学时不少于").fill("4")
    page.get_by_role("button", name="保存").click()
    page.get_by_test_id("program-list").wait_for()
    assert key in page.get_by_test_id("program-list").inner_text()
    page.get_by_label("搜索").fill(key)
    page.get_by_role("button", name="筛选").click()
    row = page.get_by_test_id("program-list").locator("tr", has_text=key)
    row.get_by_role("button", name="取消发布").click()
    row = page.get_by_test_id("program-list").locator("tr", has_text=key)
    assert "未发布" in row.inner_text()
    assert key in page.url or "q=" in page.url  # back on the filtered list
    assert_fits_screen(page)


def test_school_admin_records_offline_training_on_a_phone(new_context, tmp_path):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "schooladmin")
    page.goto("/training/offline")
    assert_fits_screen(page)
    page.get_by_role("link", name="登记线下培训").first.click()
    title = f"bx-线下培训-{uuid.uuid4().hex[:6]}"
    page.get_by_label("培训名称").fill(title)
    page.get_by_label("培训日期").fill("2026-03-10")
    page.get_by_label("学时", exact=True).fill("3")
    sheet = tmp_path / "签到表.pdf"
    sheet.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>"
                      b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    page.get_by_label("签到表（PDF、Word、Excel 或照片）").set_input_files(str(sheet))
    page.get_by_role("button", name="保存并添加参训教师").click()
    page.get_by_role("heading", name=title).wait_for()
    assert_fits_screen(page)
    out = io.StringIO()
    csv.writer(out).writerows([["用户名", "备注"], ["teacher", "bx"]])
    names = tmp_path / "名单.csv"
    names.write_text(out.getvalue(), encoding="utf-8")
    page.get_by_label("参训教师名单（CSV 或 XLSX，列：用户名、备注）").set_input_files(str(names))
    page.get_by_role("button", name="导入名单").click()
    page.get_by_test_id("attendees").wait_for()
    assert "teacher" in page.get_by_test_id("attendees").inner_text()
    assert_fits_screen(page)


def test_teacher_finds_their_hours_in_the_training_menu(new_context):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "teacher")
    page.goto("/training")
    page.get_by_role("link", name="我的学时").first.click()
    page.get_by_test_id("ledger").wait_for()
    assert "线下培训（管理员登记）" in page.get_by_test_id("ledger").inner_text()
    assert_fits_screen(page)
