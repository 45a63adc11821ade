"""Hand grading with a rubric (评分量规): levels per criterion, sum capped by the item's points, history kept."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import NotFound, ValidationError

from app.exams import services
from app.exams.models import AttemptItem
from app.extensions import db
from tests import factories
from tests.exams import builders

RUBRIC = "内容完整 | 3 | 优秀=3, 一般=1.5, 缺失=0\n步骤规范 | 4 | 优秀=4, 一般=2, 不合格=0"


def _essay_exam(teacher, n_students=2, points=5):
    students = [factories.user("student", school_=teacher.school) for _ in range(n_students)]
    bank = builders.bank()
    sc = builders.question(bank, "single_choice")
    essay = builders.question(bank, "essay")
    exam = builders.fixed_exam([sc, essay], students=students, creator=teacher, points=points)
    for s in students:
        attempt, _ = services.start_attempt(exam, s)
        services.store_response(services.load_save_target(attempt.id, 2, s.id), {"text": f"先断电再检修{s.id}",
                                                                                  "files": []}, 1)
        services.close_attempt(attempt.id, closed_by="student", user_id=s.id)
    db.session.commit()
    return exam, sc, essay, students


def _items(essay):
    return list(db.session.scalars(select(AttemptItem).where(AttemptItem.question_id == essay.id)
                                   .order_by(AttemptItem.id)))


def test_grader_picks_levels_and_the_points_are_their_capped_sum(client, login_as):
    teacher = login_as("teacher")
    exam, _sc, essay, _students = _essay_exam(teacher)
    queue_url = f"/exams/{exam.id}/grading?question={essay.id}"
    page = client.get(queue_url).get_data(as_text=True)
    assert 'data-testid="rubric-editor"' in page and 'data-testid="rubric-levels"' not in page
    saved = client.form(f"/exams/{exam.id}/rubrics/{essay.id}", {"criteria": RUBRIC}, token_from=queue_url)
    assert saved.status_code == 302
    page = client.get(queue_url).get_data(as_text=True)
    assert page.count('data-testid="rubric-levels"') == 2 and "步骤规范" in page and "一般 · 1.5 分" in page
    assert "先断电再检修" in page  # the answer is shown beside the rubric

    rubric = services.rubric_for(exam.id, essay.id)
    content, steps = rubric.criteria
    first, second = _items(essay)
    # 一般 (1.5) + 一般 (2) = 3.5 of the item's 5 points.
    client.form(f"/exams/items/{first.id}/grade", {f"level-{content.id}": 1, f"level-{steps.id}": 1,
                                                   "comment": "步骤基本正确"}, token_from=queue_url)
    # 优秀 (3) + 优秀 (4) = 7, capped by the item's 5 points.
    client.form(f"/exams/items/{second.id}/grade", {f"level-{content.id}": 0, f"level-{steps.id}": 0},
                token_from=queue_url)
    db.session.expire_all()
    assert (first.score, first.feedback, second.score) == (3.5, "步骤基本正确", 5.0)
    assert first.attempt.state == "graded"
    [grade] = services.item_grades(first)
    assert grade.reason == "manual" and grade.rubric_id == rubric.id
    assert [(lv["criterion"], lv["level"], lv["points"]) for lv in grade.rubric_levels] == [
        ("内容完整", "一般", 1.5), ("步骤规范", "一般", 2.0)]


def test_every_criterion_needs_a_level_and_a_typed_score_does_not_bypass_the_rubric(client, login_as):
    teacher = login_as("teacher")
    exam, _sc, essay, _students = _essay_exam(teacher, n_students=1)
    queue_url = f"/exams/{exam.id}/grading?question={essay.id}"
    client.form(f"/exams/{exam.id}/rubrics/{essay.id}", {"criteria": RUBRIC}, token_from=queue_url)
    content = services.rubric_for(exam.id, essay.id).criteria[0]
    [item] = _items(essay)
    # Each refusal is the marking page again (200), with the reason beside the item.
    for fields, reason in (({f"level-{content.id}": 0}, "请为“步骤规范”选择等级"), ({"score": 5}, "请为“内容完整”选择等级"),
                           ({f"level-{content.id}": 9, "level-0": 0}, "请为“内容完整”选择等级")):
        r = client.form(f"/exams/items/{item.id}/grade", fields, token_from=queue_url)
        assert r.status_code == 200 and reason in r.get_data(as_text=True)
    db.session.expire_all()
    assert item.score is None and item.needs_manual and services.item_grades(item) == []


def test_regrade_keeps_history_with_the_levels_of_each_grade(client, login_as):
    teacher = login_as("teacher")
    exam, _sc, essay, _students = _essay_exam(teacher, n_students=1)
    queue_url = f"/exams/{exam.id}/grading?question={essay.id}"
    client.form(f"/exams/{exam.id}/rubrics/{essay.id}", {"criteria": RUBRIC}, token_from=queue_url)
    old = services.rubric_for(exam.id, essay.id)
    [item] = _items(essay)
    client.form(f"/exams/items/{item.id}/grade", {f"level-{c.id}": 2 for c in old.criteria}, token_from=queue_url)
    # The rubric is revised after the first grade: the first grade keeps its rubric and levels.
    client.form(f"/exams/{exam.id}/rubrics/{essay.id}", {"criteria": "整体评价 | 5 | 好=5, 中=3, 差=1"},
                token_from=queue_url)
    new = services.rubric_for(exam.id, essay.id)
    assert new.id != old.id
    graded_url = f"/exams/{exam.id}/grading?question={essay.id}&graded=1"
    page = client.get(graded_url).get_data(as_text=True)
    assert 'data-testid="grading-item"' in page and "整体评价" in page and 'data-testid="grade-history"' in page
    client.form(f"/exams/items/{item.id}/grade", {f"level-{new.criteria[0].id}": 1, "comment": "复核后调整"},
                token_from=graded_url)
    db.session.expire_all()
    assert item.score == 3.0 and item.attempt.score == item.attempt.items[0].score + 3.0
    grades = services.item_grades(item)
    assert [(g.reason, g.score, g.rubric_id) for g in grades] == [("manual", 0.0, old.id), ("regrade", 3.0, new.id)]
    assert grades[0].rubric_levels[0]["criterion"] == "内容完整"
    page = client.get(graded_url).get_data(as_text=True)
    assert "评分记录（2 次）" in page and "内容完整：缺失" in page and "整体评价：中" in page and "复核后调整" in page


def test_rubric_only_for_hand_graded_questions_and_only_by_the_exam_s_teachers(client, login_as):
    teacher = factories.user("teacher")
    exam, sc, essay, _students = _essay_exam(teacher, n_students=1)
    stranger = login_as("teacher")
    assert stranger.school_id != teacher.school_id
    refused = client.form(f"/exams/{exam.id}/rubrics/{essay.id}", {"criteria": RUBRIC},
                          token_from="/exams")
    assert refused.status_code == 403 and services.rubric_for(exam.id, essay.id) is None
    with pytest.raises(ValidationError):
        services.set_rubric(exam, sc, RUBRIC, by=teacher)  # auto-graded: the key decides, not a rubric
    with pytest.raises(ValidationError):
        services.set_rubric(exam, essay, "内容 | abc", by=teacher)
    # An essay of another bank, not in this exam, cannot get a rubric here by its id.
    outsider = builders.question(builders.bank(), "essay")
    with pytest.raises(NotFound):
        services.set_rubric(exam, outsider, RUBRIC, by=teacher)


def test_grading_page_statements_stay_constant(client, login_as, count_queries):
    teacher = login_as("teacher")
    exam, _sc, essay, _students = _essay_exam(teacher, n_students=1)
    services.set_rubric(exam, essay, RUBRIC, by=teacher)
    db.session.commit()
    url = f"/exams/{exam.id}/grading?question={essay.id}"
    with count_queries() as one:
        assert client.get(url).status_code == 200
    for _ in range(4):
        s = factories.user("student", school_=teacher.school)
        services.grant_access(exam, s)
        attempt, _ = services.start_attempt(exam, s)
        services.close_attempt(attempt.id, closed_by="student", user_id=s.id)
    db.session.commit()
    with count_queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert page.count('data-testid="grading-item"') == 5
    assert one.count == many.count, many.statements


def test_student_sees_the_rubric_levels_when_the_policy_shows_feedback(client, login_as):
    teacher = factories.user("teacher")
    exam, _sc, essay, [student] = _essay_exam(teacher, n_students=1)
    services.set_rubric(exam, essay, RUBRIC, by=teacher)
    rubric = services.rubric_for(exam.id, essay.id)
    [item] = _items(essay)
    services.grade_with_rubric(item, {str(c.id): 0 for c in rubric.criteria}, comment="很好", grader=teacher)
    exam.review_policy = {"immediately": ["responses", "points", "feedback"],
                          "open": ["responses", "points", "feedback"], "closed": ["responses", "points", "feedback"]}
    db.session.commit()
    login_as(user=student)
    page = client.get(f"/attempts/{item.attempt_id}").get_data(as_text=True)
    assert 'data-testid="rubric-result"' in page and "步骤规范：优秀（4 / 4 分）" in page and "很好" in page
    body = client.get(f"/api/v1/attempts/{item.attempt_id}", headers={"Accept": "application/json"}).get_json()
    [essay_view] = [i for i in body["items"] if i["type"] == "essay"]
    assert [lv["level"] for lv in essay_view["feedback"]["rubric"]] == ["优秀", "优秀"]


def test_grading_filter_names_questions_not_their_numbers(client, login_as):
    """The per-question filter of the grading queue shows the question's position and name, never its id."""
    teacher = login_as("teacher")
    exam, _sc, essay, _students = _essay_exam(teacher)
    page = client.get(f"/exams/{exam.id}/grading").get_data(as_text=True)
    assert f"试题 {essay.id}" not in page
    assert f"第 1 题 · {essay.name}" in page
