"""At 360 px, a student finishes an exam with a numerical and a matching question (and a single choice whose options
were shuffled for this attempt), then opens the result page; the teacher opens it too. No server error, nothing
wider than the phone, and the review names the answer by the letter the student saw.

Runs its own server (own SQLite database) with the exam created through the services, like test_exam_page.py."""
from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import threading

import pytest

from tests.browser.conftest import PHONE, ConsoleWatch, assert_fits_screen

PASSWORD = "exam-review-2026"


@pytest.fixture(scope="module")
def review_server():
    from werkzeug.serving import make_server

    from app import create_app
    from app.auth import services as auth
    from app.exams import services as exams
    from app.extensions import db
    from app.questions import services as questions
    from app.review import services as review

    tmp = tempfile.mkdtemp(prefix="gx-review-browser-")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(tmp, "r.db"),
                      "INSTANCE_PATH": tmp, "RATELIMIT_STORAGE_URI": "memory://", "PROPAGATE_EXCEPTIONS": False,
                      "STORAGE_URL": "file://" + os.path.join(tmp, "storage")})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        reviewer = auth.create_user(username="bx-review-reviewer", roles=["reviewer"], full_name="审核")
        teacher = auth.create_user(username="bx-review-teacher", roles=["teacher"], full_name="张老师",
                                   password=PASSWORD)
        bank = questions.create_bank(key="bx-review", name="回顾题库")
        paper = exams.create_paper(title="电工基础", creator=teacher)
        for qtype, text, data in [
            ("numerical", "<p>标准胎压约为多少 bar？</p>", {"answers": [{"value": 2.3, "tolerance": 0.1}]}),
            ("matching", "<p>把导线颜色和用途配对。</p>",
             {"pairs": [{"prompt": "红色导线", "answer": "火线"}, {"prompt": "蓝色导线", "answer": "零线"},
                        {"prompt": "黄绿双色导线", "answer": "保护地线"}]}),
            ("single_choice", "<p>拧紧轮毂螺栓用什么工具？</p>",
             {"options": [{"text": "扭矩扳手", "fraction": 1}, {"text": "活动扳手"}, {"text": "套筒"},
                          {"text": "螺丝刀"}]}),
        ]:
            created = questions.create_question(bank, questions.prepare_fields(qtype, text=text, data=data, points=5))
            review.approve(created.current_version, reviewer)
            exams.add_paper_question(paper, created, 5)
        everything = ["responses", "correctness", "points", "feedback", "answers"]
        exam = exams.create_exam(paper=paper, title="电工基础测验", creator=teacher, time_limit_minutes=30,
                                 shuffle_options=True, review_policy={"immediately": everything, "open": everything})
        student = auth.create_user(username="bx-review-student", roles=["student"], full_name="考生乙",
                                   password=PASSWORD)
        exams.grant_access(exam, student)
        db.session.commit()
        exam_id = exam.id
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{port}", exam_id
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def _phone(browser, base, watch):
    context = browser.new_context(base_url=base, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(30_000)
    context.on("page", watch.attach)
    return context


def _log_in(page, username):
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/home")


def _shuffle(app, attempt_id: int, slot: int, order: list[str]) -> None:
    """Fix this attempt's option order (the exam shuffles at random; the journey needs a known order)."""
    from sqlalchemy import update

    from app.exams.models import AttemptItem
    from app.extensions import db

    with app.app_context():
        db.session.execute(update(AttemptItem).where(AttemptItem.attempt_id == attempt_id, AttemptItem.slot == slot)
                           .values(option_order=order))
        db.session.commit()


def test_student_and_teacher_open_the_result_of_a_numerical_and_matching_exam_on_a_phone(browser, review_server):
    app, base, exam_id = review_server
    watch = ConsoleWatch()
    student = _phone(browser, base, watch)
    page = student.new_page()
    _log_in(page, "bx-review-student")
    page.goto(f"/exams/{exam_id}")
    page.get_by_role("button", name="开始考试").click()
    page.wait_for_url(re.compile(r".*/attempts/\d+$"))
    attempt_url = page.url
    attempt_id = int(attempt_url.rsplit("/", 1)[1])
    # Authored A 扭矩扳手, B 活动扳手, C 套筒, D 螺丝刀; this student sees C, D, A, B: 扭矩扳手 is the third, "C".
    _shuffle(app, attempt_id, 3, ["C", "D", "A", "B"])
    page.reload()

    items = page.locator("section.exam-item")
    number = items.nth(0)
    number.locator("input").fill("2.3")
    number.locator("[data-item-status]", has_text="已保存").wait_for()
    matching = items.nth(1)
    for prompt, answer in (("红色导线", "火线"), ("蓝色导线", "保护地线"), ("黄绿双色导线", "零线")):
        matching.get_by_label(prompt).select_option(label=answer)
    matching.locator("[data-item-status]", has_text="已保存").wait_for()
    choice = items.nth(2)
    label = choice.locator("label", has_text="扭矩扳手").text_content()
    seen_letter = label.strip().split(".")[0]
    assert seen_letter == "C"
    choice.get_by_label(re.compile("扭矩扳手")).check()
    choice.locator("[data-item-status]", has_text="已保存").wait_for()
    assert_fits_screen(page)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="交卷").click()
    page.get_by_test_id("result-summary").wait_for()
    pages = [page]

    teacher = _phone(browser, base, watch)
    teacher_page = teacher.new_page()
    _log_in(teacher_page, "bx-review-teacher")
    response = teacher_page.goto(attempt_url)
    assert response.status == 200
    pages.append(teacher_page)

    for shown in pages:
        shown.reload()
        assert "服务器内部错误" not in shown.content()
        assert_fits_screen(shown)
        reviewed = shown.get_by_test_id("review-item")
        assert reviewed.count() == 3
        numerical = reviewed.nth(0).inner_text()
        assert "作答：2.3" in numerical and "正确答案：2.3 ± 0.1" in numerical
        rows = reviewed.nth(1).get_by_test_id("review-rows").locator("li")
        assert rows.count() == 3
        red, blue = rows.nth(0).inner_text(), rows.nth(1).inner_text()
        assert "红色导线" in red and "作答：火线" in red and "正确答案：火线" in red
        assert "蓝色导线" in blue and "作答：保护地线" in blue and "正确答案：零线" in blue
        single = reviewed.nth(2)
        options = single.get_by_test_id("review-options").inner_text()
        assert options.index("A. 套筒") < options.index("B. 螺丝刀") < options.index("C. 扭矩扳手")
        assert f"作答：{seen_letter}" in single.get_by_test_id("review-response").inner_text()
        assert f"正确答案：{seen_letter}" in single.get_by_test_id("review-right").inner_text()
    student.close()
    teacher.close()
    assert not watch.errors, watch.errors
