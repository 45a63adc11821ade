"""The result page of an attempt renders for every question type, every review option, the student and the teacher.

The class of defect: a review template that assumes the shape of one type's response (``join`` on a number gave a
500 for numerical answers). The parameters come from the question-type registry and from the review options, so
a new type or option is covered without editing this file (its sample data and an answer go in builders.py).
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.core import clock
from app.exams import review, services
from app.extensions import db
from app.questions import types as qtypes
from tests import factories
from tests.exams import builders

#: Review options: no aspect, each aspect alone, every aspect.
OPTIONS = [(), *((aspect,) for aspect in review.ASPECTS), tuple(review.ASPECTS)]
#: Text a page must never show: Python reprs, unrendered template code, tracebacks.
NEVER = ("Traceback", "<built-in", "<bound method", "{{", "{%", "Undefined")


def _render(client, url: str) -> str:
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:2000]
    for text in NEVER:
        assert text not in body, f"{text!r} on {url}"
    return body


def _answerable(name: str) -> bool:
    return qtypes.TYPES[name].has_points


@pytest.mark.parametrize("viewer", ["student", "teacher"])
@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: "+".join(o) or "nothing")
@pytest.mark.parametrize("qtype", list(qtypes.TYPES))
def test_result_page_renders_every_type_option_and_viewer(app, client, login_as, qtype, option, viewer):
    assert qtype in builders.SAMPLE_DATA, f"add sample data for the question type {qtype} to tests/exams/builders.py"
    assert not _answerable(qtype) or qtype in builders.ANSWERED, \
        f"add an answer for the question type {qtype} to builders.ANSWERED"
    teacher = factories.user("teacher")
    answered, blank = (factories.user("student", school_=teacher.school) for _ in range(2))
    bank = builders.bank()
    # The question under test between two single-choice questions, so slots and letters are not trivially 1/A.
    questions = [builders.question(bank, "single_choice"), builders.question(bank, qtype),
                 builders.question(bank, "single_choice")]
    policy = {moment: list(option) for moment in review.MOMENTS}
    exam = builders.fixed_exam(questions, students=[answered, blank], creator=teacher, review_policy=policy,
                               closes_at=clock.now() + timedelta(days=1), shuffle_options=True)
    attempts = {}
    for student in (answered, blank):
        attempt, _ = services.start_attempt(exam, student)
        if student is answered and _answerable(qtype):
            services.store_response(services.load_save_target(attempt.id, 2, student.id),
                                    builders.ANSWERED[qtype], 1)
        services.close_attempt(attempt.id, closed_by="student", user_id=student.id)
        attempts[student.id] = attempt.id
    db.session.commit()

    def check(who, body, shown: set[str]):
        item = body.split('data-slot="2"')[1].split("</section>")[0]
        assert "第 2 题" in item or qtype == "description"
        if "responses" in shown and _answerable(qtype):
            assert "作答：" in item
            assert ("未作答" in item) == (who is blank), item
        if "answers" not in shown:
            assert "正确答案" not in body
        if "points" not in shown:
            assert "得分：" not in body
        if "feedback" not in shown:
            assert "解析" not in body

    if viewer == "teacher":
        login_as(user=teacher)
        for _round in ("as submitted", "after hand grading"):
            for who in (answered, blank):
                check(who, _render(client, f"/attempts/{attempts[who.id]}"), set(review.ASPECTS))
            for item in db.session.scalars(db.select(services.AttemptItem).where(services.AttemptItem.needs_manual)
                                           .where(services.AttemptItem.attempt_id.in_(attempts.values()))):
                services.grade_manually(item, score=item.points / 3, comment="步骤完整", grader=teacher)
            db.session.commit()
        return

    clients = {answered.id: client, blank.id: app.test_client()}
    for who in (answered, blank):
        login_as(user=who, client_=clients[who.id])
    submitted = clock.now()
    for moment, at in (("immediately", submitted), ("open", submitted + timedelta(minutes=30)),
                       ("closed", submitted + timedelta(days=2))):
        clock.set_now(at)
        for who in (answered, blank):
            attempt = services.get_attempt(attempts[who.id])
            assert review.moment(attempt, exam) == moment
            shown = review.visible_aspects(attempt, exam)
            body = _render(clients[who.id], f"/attempts/{attempt.id}")
            if "responses" in shown:
                check(who, body, shown)
            else:
                assert 'data-testid="review-item"' not in body


def _item_html(body: str, slot: int) -> str:
    return body.split(f'data-slot="{slot}"')[1].split("</section>")[0]


def test_review_shows_the_letters_and_order_the_student_saw(app, client, login_as):
    """Options shuffled per attempt: the review lists them in this student's order and names the answer and the
    right answer by the letters the student saw; a matching review pairs each prompt with the chosen and the
    right answer."""
    teacher = factories.user("teacher")
    student = factories.user("student", school_=teacher.school)
    bank = builders.bank()
    single, multi, match = (builders.question(bank, t) for t in ("single_choice", "multiple_choice", "matching"))
    everything = {moment: list(review.ASPECTS) for moment in ("immediately", "open", "closed")}
    exam = builders.fixed_exam([single, multi, match], students=[student], creator=teacher,
                               shuffle_options=True, review_policy=everything)
    attempt, _ = services.start_attempt(exam, student)
    # The authored options are A 扭矩扳手 (right), B 活动扳手, C 套筒, D 螺丝刀; this student saw them as
    # A 套筒, B 扭矩扳手, C 螺丝刀, D 活动扳手.
    orders = {1: ["C", "A", "D", "B"], 2: ["D", "B", "C", "A"], 3: ["B", "A"]}
    for item in attempt.items:
        item.option_order = orders[item.slot]
    db.session.commit()
    login_as(user=student)
    take = _render(client, f"/attempts/{attempt.id}")
    assert "B. 扭矩扳手" in take and "A. 套筒" in take  # what the exam page showed
    for slot, response in ((1, "A"), (2, ["A", "B"]), (3, {"1": "B", "2": "A"})):
        services.store_response(services.load_save_target(attempt.id, slot, student.id), response, 1)
    services.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    db.session.commit()

    login_as(user=teacher, client_=(teacher_client := app.test_client()))
    for who, page in (("student", client), ("teacher", teacher_client)):
        body = _render(page, f"/attempts/{attempt.id}")
        first = _item_html(body, 1)
        listed = [first.index(f"{letter}. {text}") for letter, text in
                  (("A", "套筒"), ("B", "扭矩扳手"), ("C", "螺丝刀"), ("D", "活动扳手"))]
        assert listed == sorted(listed), who
        assert "作答：</strong><span class=\"pre-wrap\">B</span>" in first, who
        assert "正确答案：</strong>B" in first, who
        assert "(A)" not in first and "(C)" not in first  # no authoring keys beside the letters
        # Multiple choice seen as A 耳机, B 手套, C 拖鞋, D 护目镜; 护目镜 and 手套 chosen (both right).
        second = _item_html(body, 2)
        assert "作答：</strong><span class=\"pre-wrap\">B，D</span>" in second and "正确答案：</strong>B，D" in second
        # Matching: 红 → 火线 and 蓝 → 零线; the student swapped them.
        rows = _item_html(body, 3).split("<li")[1:]
        assert "红" in rows[0] and "作答：<span class=\"pre-wrap\">零线</span>" in rows[0] \
            and "正确答案：<span class=\"pre-wrap\">火线</span>" in rows[0], who
        assert "蓝" in rows[1] and "作答：<span class=\"pre-wrap\">火线</span>" in rows[1] \
            and "正确答案：<span class=\"pre-wrap\">零线</span>" in rows[1], who
