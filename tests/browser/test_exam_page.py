"""The exam page in a real browser: autosave, the offline warning and retry, an aged CSRF token, a reload that
keeps every answer, the server's countdown, 360 px, and submitting once.

Runs its own server (own SQLite database) with an exam created through the services, because the journey needs
a granted student and a question bank the demo data does not have."""
from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import threading

import pytest

from tests.browser.conftest import PHONE, assert_fits_screen

PASSWORD = "exam-journey-2026"


@pytest.fixture(scope="module")
def exam_server():
    from werkzeug.serving import make_server

    from app import create_app
    from app.auth import services as auth
    from app.exams import services as exams
    from app.extensions import db
    from app.questions import services as questions

    tmp = tempfile.mkdtemp(prefix="gx-exam-browser-")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(tmp, "e.db"),
                      "INSTANCE_PATH": tmp, "RATELIMIT_STORAGE_URI": "memory://", "PROPAGATE_EXCEPTIONS": False,
                      "STORAGE_URL": "file://" + os.path.join(tmp, "storage")})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from app.review import services as review

        reviewer = auth.create_user(username="bx-reviewer", roles=["reviewer"], full_name="审核")
        bank = questions.create_bank(key="bx-exam", name="浏览器考试题库")
        paper = exams.create_paper(title="浏览器考试")
        for n, (qtype, data) in enumerate([
            ("single_choice", {"options": [{"text": "扭矩扳手", "fraction": 1}, {"text": "活动扳手"}]}),
            ("multiple_choice", {"options": [{"text": "护目镜", "fraction": 0.5}, {"text": "手套", "fraction": 0.5},
                                             {"text": "拖鞋"}]}),
            ("fill_blank", {"blanks": [{"answers": ["扭矩"]}]}),
            ("essay", {"response_format": "text"}),
        ]):
            fields = questions.prepare_fields(qtype, text=f"<p>第{n + 1}题：关于拧紧工艺的一道很长很长的题目，"
                                                          f"用来检查窄屏上的换行是否正常。</p>", data=data, points=5)
            created = questions.create_question(bank, fields)
            # Only reviewed questions go on papers (凡编必审).
            review.approve(created.current_version, reviewer)
            exams.add_paper_question(paper, created, 5)
        exam = exams.create_exam(paper=paper, title="拧紧工艺测验", time_limit_minutes=30,
                                 review_policy={"immediately": ["responses", "points", "correctness"]})
        student = auth.create_user(username="bx-examinee", roles=["student"], full_name="考生甲", password=PASSWORD)
        exams.grant_access(exam, student)
        db.session.commit()
        exam_id = exam.id
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    number = port.getsockname()[1]
    port.close()
    httpd = make_server("127.0.0.1", number, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{number}", exam_id
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def test_exam_page_autosaves_survives_offline_reload_and_aged_token_then_submits(browser, exam_server):
    base, exam_id = exam_server
    context = browser.new_context(base_url=base, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page_errors = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.goto("/login")
    page.get_by_label("用户名").fill("bx-examinee")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/home")
    page.goto(f"/exams/{exam_id}")
    page.get_by_role("button", name="开始考试").click()
    page.wait_for_url(re.compile(r".*/attempts/\d+$"))

    # The countdown comes from the server's deadline: about 30 minutes.
    remaining = page.locator("[data-remaining]")
    page.wait_for_function("document.querySelector('[data-remaining]').textContent.indexOf(':') > 0")
    minutes = int(remaining.text_content().split(":")[0])
    assert 28 <= minutes <= 30

    first = page.locator("section.exam-item").nth(0)
    first.get_by_label(re.compile("扭矩扳手")).check()
    first.locator("[data-item-status]", has_text="已保存").wait_for()

    # Offline: the warning appears, then the retry saves it once the network is back.
    context.set_offline(True)
    second = page.locator("section.exam-item").nth(1)
    second.get_by_label(re.compile("护目镜")).check()
    second.get_by_label(re.compile("手套")).check()
    page.get_by_text("网络中断，答案未保存").first.wait_for()
    context.set_offline(False)
    second.locator("[data-item-status]", has_text="已保存").wait_for(timeout=45_000)

    # An aged CSRF token: the page fetches a fresh one and the save still goes through.
    page.evaluate("document.querySelector('meta[name=csrf-token]').content = 'stale-token'")
    third = page.locator("section.exam-item").nth(2)
    third.locator("input").fill("扭矩")
    third.locator("[data-item-status]", has_text="已保存").wait_for()

    fourth = page.locator("section.exam-item").nth(3)
    fourth.locator("textarea").fill("先对角预紧，再按规定扭矩分两次拧紧。")
    fourth.locator("[data-item-status]", has_text="已保存").wait_for()

    assert_fits_screen(page)

    # A reload shows every saved answer.
    page.reload()
    first = page.locator("section.exam-item").nth(0)
    assert first.get_by_label(re.compile("扭矩扳手")).is_checked()
    second = page.locator("section.exam-item").nth(1)
    assert second.get_by_label(re.compile("护目镜")).is_checked() and second.get_by_label(re.compile("手套")).is_checked()
    assert page.locator("section.exam-item").nth(2).locator("input").input_value() == "扭矩"
    assert "分两次拧紧" in page.locator("section.exam-item").nth(3).locator("textarea").input_value()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="交卷").click()
    page.get_by_test_id("result-summary").wait_for()
    assert "还有 1 道题等待老师评分" in page.get_by_test_id("result-summary").text_content()
    assert not page_errors, page_errors
    context.close()
