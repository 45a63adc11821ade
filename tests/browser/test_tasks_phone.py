"""The demo student works the demo work task on a 360 px phone: task list, stages, the worksheet of the
implementing stage (autosave), a photo from the camera input, and the score page — no overflow, no console
error (a CSP violation would be one)."""
from __future__ import annotations

import io
import os
import tempfile

from tests.browser.conftest import PHONE, assert_fits_screen, log_in


def _phone_photo() -> str:
    """A 4000x3000 JPEG whose EXIF says "rotate 90°", as phones take them."""
    from PIL import Image

    image = Image.new("RGB", (4000, 3000), (180, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = os.path.join(tempfile.mkdtemp(prefix="gx-photo-"), "IMG_2001.JPG")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=60)
    with open(path, "wb") as fh:
        fh.write(buffer.getvalue())
    return path


def test_student_works_the_demo_task_on_a_phone(new_context):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "student")
    page.goto("/tasks")
    assert_fits_screen(page)
    page.get_by_role("link", name="盘式制动器检修（示范学习任务）").click()
    page.wait_for_url("**/tasks/submissions/*")
    assert_fits_screen(page)
    assert page.get_by_text("任务总评").is_visible()

    page.get_by_role("link", name="实施计划").click()
    page.wait_for_url("**/stages/*")
    assert_fits_screen(page)
    camera = page.locator('input[type=file][capture="environment"]').last
    assert camera.get_attribute("accept") == "image/*"

    # Autosave: typing in the worksheet saves a draft without pressing a button.
    first_text = page.locator("#stage-form input.form-control:not([type=hidden])").first
    first_text.fill("12.5")
    page.locator("#autosave-status").filter(has_text="草稿已自动保存").wait_for(timeout=15_000)

    camera.set_input_files(_phone_photo())
    page.locator("form:has(input[name=field][value='']) button[type=submit]").click()
    page.get_by_text("已上传“IMG_2001.JPG”").wait_for()
    assert_fits_screen(page)
    thumb = page.locator("img.img-thumbnail").last
    thumb.wait_for()
    size = thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size[1] > size[0], f"the thumbnail is upright (portrait): {size}"
    page.screenshot(path="/tmp/gx-task-stage-360.png", full_page=True)


def test_teacher_reads_the_class_progress_and_gradebook_on_a_phone(new_context):
    """The wide tables (one row per student, one column per activity) scroll inside their box; the page itself
    stays 360 px (hidden screen-reader labels once escaped the box and made it 505 px wide)."""
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "teacher")
    page.goto("/courses")
    page.get_by_role("link", name="汽车底盘系统检修（一体化课程）").first.click()
    page.wait_for_url("**/courses/*")
    page.get_by_role("link", name="学习进度").click()
    page.wait_for_url("**/progress")
    page.get_by_role("table").first.wait_for()
    assert_fits_screen(page)
    page.get_by_role("link", name="成绩册").click()
    page.wait_for_url("**/gradebook*")
    page.get_by_role("table").first.wait_for()
    assert_fits_screen(page)
