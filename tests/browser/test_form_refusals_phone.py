"""A student on a 360 px phone types "12 mm" into a number column of the 实施 worksheet: the draft keeps it, handing
in is refused beside the table with everything typed still there, and once corrected the stage is handed in.
No bare error page, no overflow, no console error."""
from __future__ import annotations

import io
import os
import re
import tempfile

from sqlalchemy import select

from tests.browser.conftest import PHONE, assert_fits_screen, log_in
from tests.conftest import PASSWORD


def _student_at_implement(app) -> tuple[str, str]:
    """A new student (bx-...) of the demo class course, with the demo work task walked up to 实施: (username,
    address of the implement stage). The demo student's own progress is left as it is."""
    from app.auth import services as auth
    from app.courses import services as courses
    from app.extensions import db
    from app.tasks import services
    from app.tasks.models import TaskAssignment
    from tests import factories
    from tests.tasks import builders

    with app.app_context():
        teacher = auth.find_user("teacher")
        a = db.session.scalar(select(TaskAssignment).where(TaskAssignment.title.like("盘式制动器检修%")))
        student = factories.user("student", username=f"bx-worksheet-{os.getpid()}", school_=teacher.school)
        courses.enrol_users(a.course, [student])
        submission = services.submission_of(a, student, create=True)
        builders.walk_to(a, submission, student, teacher, "implement")
        implement = builders.stage(a, "implement")
        db.session.commit()
        return student.username, f"/tasks/submissions/{submission.id}/stages/{implement.id}"


def _photo() -> str:
    from PIL import Image

    path = os.path.join(tempfile.mkdtemp(prefix="gx-photo-"), "workpiece.jpg")
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 90, 90)).save(buffer, "JPEG", quality=70)
    with open(path, "wb") as fh:
        fh.write(buffer.getvalue())
    return path


def test_a_wrong_measurement_is_kept_refused_beside_the_field_and_corrected(new_context, server_app):
    username, stage_url = _student_at_implement(server_app)
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "提交后本环节不能再修改，确定提交吗？"
    log_in(page, username, PASSWORD)
    page.goto(stage_url)
    assert_fits_screen(page)

    # The workpiece photo the stage asks for.
    page.locator('input[type=file][capture="environment"]').last.set_input_files(_photo())
    page.locator("form:has(input[name=field][value='']) button[type=submit]").click()
    page.get_by_text("已上传“workpiece.jpg”").wait_for()

    pad = page.get_by_label("左前 制动片厚度")
    verdict = page.get_by_label("左前 结论")
    torque = page.get_by_label("卡钳螺栓实际拧紧力矩")
    pad.fill("12 mm")
    verdict.fill("可继续使用")
    torque.fill("110")

    # A draft keeps what was typed, even before it is valid, and says what to correct before handing in.
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_text("已保存草稿。提交前请修改").wait_for()
    assert pad.input_value() == "12 mm" and verdict.input_value() == "可继续使用" and torque.input_value() == "110"
    assert_fits_screen(page)

    # Handing in: refused beside the table, everything typed still there, no error page.
    page.get_by_role("button", name="提交本环节").click()
    problem = page.locator(".invalid-feedback", has_text="左前 · 制动片厚度：必须是数字")
    problem.wait_for()
    assert problem.is_visible()
    assert page.get_by_text("请求有误").count() == 0
    assert pad.input_value() == "12 mm" and verdict.input_value() == "可继续使用" and torque.input_value() == "110"
    assert_fits_screen(page)
    page.screenshot(path="/tmp/gx-worksheet-refused-360.png", full_page=True)

    # Corrected and handed in.
    pad.fill("12")
    page.get_by_role("button", name="提交本环节").click()
    page.wait_for_url(re.compile(r"/tasks/submissions/\d+$"))
    page.get_by_text("“实施计划”已提交").wait_for()
    assert_fits_screen(page)
