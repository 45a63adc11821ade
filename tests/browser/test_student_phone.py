"""The demo student at the bench, on a 360×740 phone in WeChat's in-app browser (its user agent): opens the course,
the work task and a stage, fills in a worksheet field, uploads a phone photo (4000×3000 JPEG, EXIF orientation 6)
that must come back shrunk and upright, evaluates their own work, sees the evaluations and their grades. Every
page fits the screen (no horizontal scrolling) and logs no console error (a CSP violation would be one).

What this cannot show: real WeChat renders with Tencent's X5/XWeb engine (a Chromium fork), which is not available
here; the journey runs Debian's Chromium with WeChat's user agent, touch and a phone viewport.
"""
from __future__ import annotations

import io
import os
import tempfile

from tests.browser.conftest import PHONE, WECHAT_UA, assert_fits_screen, log_in

COURSE = "汽车底盘系统检修（一体化课程）"
TASK = "盘式制动器检修（示范学习任务）"
PHOTO = "IMG_20261123_bx.jpg"
#: Stored photos are shrunk to this longer side (app/core/uploads.py DEFAULT_MAX_SIDE).
MAX_SIDE = 2560


def _sideways_photo() -> str:
    """A 4000×3000 landscape sensor image with EXIF orientation 6 (shown rotated 90° clockwise, i.e. portrait),
    as a phone held upright takes it. Red with a blue block in the sensor's top-left corner, which belongs in
    the top-right corner of the upright picture."""
    from PIL import Image

    image = Image.new("RGB", (4000, 3000), (180, 40, 40))
    image.paste((30, 30, 200), (0, 0, 1000, 750))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = os.path.join(tempfile.mkdtemp(prefix="gx-phone-"), PHOTO)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=60)
    with open(path, "wb") as fh:
        fh.write(buffer.getvalue())
    return path


def _assert_stored_upright_and_shrunk(page, href: str) -> None:
    from PIL import Image

    response = page.request.get(href)
    assert response.ok, f"{href}: {response.status}"
    stored = Image.open(io.BytesIO(response.body()))
    width, height = stored.size
    assert max(width, height) <= MAX_SIDE, f"stored at {stored.size}, not shrunk"
    assert height > width, f"stored sideways: {stored.size}"
    assert stored.getexif().get(0x0112) in (None, 1), "the orientation is applied, not left to the viewer"
    rgb = stored.convert("RGB")
    top_right, top_left = rgb.getpixel((int(width * 0.9), int(height * 0.05))), rgb.getpixel((int(width * 0.1), 20))
    assert top_right[2] > 150 > top_right[0], f"the marker is not top-right: {top_right}"
    assert top_left[0] > 150 > top_left[2], f"top-left should be red: {top_left}"


def test_student_in_wechat_on_a_phone_works_a_stage_uploads_a_photo_and_sees_grades(new_context):
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3,
                          user_agent=WECHAT_UA)
    page = context.new_page()
    log_in(page, "student")
    assert "MicroMessenger" in page.evaluate("navigator.userAgent")
    assert_fits_screen(page)

    # The course and its work task.
    page.goto("/courses")
    assert_fits_screen(page)
    page.get_by_role("link", name=COURSE).first.click()
    page.wait_for_url("**/courses/*")
    course_url = page.url
    assert_fits_screen(page)
    page.get_by_role("link", name=TASK).click()
    page.get_by_test_id("open-activity").click()
    page.wait_for_url("**/tasks/submissions/*")
    submission_url = page.url
    assert_fits_screen(page)

    # A stage: fill in a worksheet field and save the draft.
    page.get_by_role("link", name="实施计划").click()
    page.wait_for_url("**/stages/*")
    stage_url = page.url
    assert_fits_screen(page)
    field = page.locator("#stage-form textarea, #stage-form input.form-control:not([type=hidden])").first
    field.fill("0.04")
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_text("已保存草稿。").wait_for()
    assert_fits_screen(page)
    assert page.locator("#stage-form textarea, #stage-form input.form-control:not([type=hidden])").first \
        .input_value() == "0.04"

    # A photo from the camera: stored shrunk and upright, its thumbnail portrait.
    camera = page.locator("form:has(input[name=field][value='']) input[type=file]")
    assert camera.get_attribute("capture") == "environment" and camera.get_attribute("accept") == "image/*"
    camera.set_input_files(_sideways_photo())
    page.locator("form:has(input[name=field][value='']) button[type=submit]").click()
    page.get_by_text(f"已上传“{PHOTO}”").wait_for()
    assert_fits_screen(page)
    link = page.locator(f"a:has(img[alt='{PHOTO}'])").last
    thumb = link.locator("img")
    thumb.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    natural = thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural[1] > natural[0], f"the thumbnail is upright: {natural}"
    _assert_stored_upright_and_shrunk(page, link.get_attribute("href"))
    page.screenshot(path="/tmp/gx-student-phone-stage.png", full_page=True)

    # Evaluations: the student evaluates their own work and sees it listed with the score breakdown.
    page.goto(submission_url)
    page.get_by_role("link", name="填写自评").click()
    page.wait_for_url("**/evaluate/self")
    assert_fits_screen(page)
    for fieldset in page.locator("form fieldset").all():
        fieldset.locator("input[type=radio]").first.check()
    page.get_by_label("评语").fill("按手册完成，制动盘厚度已测量。")
    page.get_by_role("button", name="提交评价").click()
    page.get_by_text("评价已提交。").wait_for()
    assert page.get_by_role("heading", name="评价记录").is_visible()
    assert page.get_by_text("按手册完成，制动盘厚度已测量。").is_visible()
    assert page.get_by_role("link", name="查看自评").is_visible()  # given: offered for viewing, not again
    assert page.get_by_role("link", name="填写自评").count() == 0
    assert page.get_by_text("任务总评").is_visible()
    assert_fits_screen(page)

    # Grades: from the course page to 我的成绩.
    page.goto(course_url)
    page.get_by_role("link", name="我的成绩").click()
    page.wait_for_url("**/grades")
    assert page.get_by_text(TASK).first.is_visible()
    assert_fits_screen(page)
    page.screenshot(path="/tmp/gx-student-phone-grades.png", full_page=True)
    page.goto(stage_url)
    assert_fits_screen(page)
