"""Media in a real browser: a student watches and seeks the demo video on a phone; a teacher uploads a video
through the progress-bar form."""
from __future__ import annotations

from tests.browser.conftest import PHONE, assert_fits_screen, log_in
from tests.media import samples



def test_student_watches_and_seeks_the_demo_video_on_a_phone(new_context):
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "student")
    page.goto("/media")
    page.locator("main .list-group-item").first.click()
    page.get_by_text("示范视频：工作过程演示").first.click()
    video = page.get_by_test_id("player")
    video.wait_for()
    page.wait_for_function("document.querySelector('video').readyState >= 1")
    duration = page.evaluate("document.querySelector('video').duration")
    assert 3.5 <= duration <= 4.5
    assert video.get_attribute("poster").endswith("/poster.jpg")
    # Seeking needs HTTP Range: the player asks for the bytes at the new position.
    page.evaluate("""() => new Promise(resolve => {
        const v = document.querySelector('video');
        v.addEventListener('seeked', resolve, {once: true});
        v.currentTime = 3;
    })""")
    assert abs(page.evaluate("document.querySelector('video').currentTime") - 3) < 0.5
    assert_fits_screen(page)
    assert video.bounding_box()["width"] <= PHONE["width"]


def test_teacher_uploads_a_video_with_the_progress_form(new_context, tmp_path):
    path = tmp_path / "bx-安全操作演示.mp4"
    path.write_bytes(samples.video(seconds=2, shade=123))
    page = new_context().new_page()
    log_in(page, "teacher")
    page.goto("/media/upload")
    page.get_by_label("文件", exact=True).set_input_files(str(path))
    page.get_by_label("所属专业").select_option(index=1)
    page.locator("main form").get_by_role("button", name="上传").click()
    page.get_by_test_id("player").wait_for()
    assert "bx-安全操作演示" in page.locator("h1").inner_text()
    assert page.get_by_role("status").filter(has_text="已上传为草稿").is_visible()
