"""Exam pages as teachers and students use them."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.exams import services
from app.exams.models import Attempt, Exam
from app.extensions import db
from tests import factories
from tests.exams import builders


def _bank_with(n=3, qtype="single_choice"):
    bank = builders.bank()
    return bank, [builders.question(bank, qtype) for _ in range(n)]


def test_teacher_creates_exam_by_rules_and_grants_students(client, login_as):
    teacher = login_as("teacher")
    student = factories.user("student", school_=teacher.school)
    bank, _qs = _bank_with(3)
    builders.question(bank, "true_false")
    db.session.commit()
    page = client.get("/exams/new")
    assert page.status_code == 200 and "组卷规则" in page.get_data(as_text=True)
    short = client.form("/exams/new", {"title": "月考", "bank_id": bank.id, "draw_single_choice": 5, "points": 2,
                                       "max_attempts": 1, "pass_percent": 60, "multi_scoring": "all_or_nothing",
                                       "time_limit_minutes": 30}, token_from="/exams/new")
    assert short.status_code == 200
    assert "还缺 2 道" in short.get_data(as_text=True)
    made = client.form("/exams/new", {"title": "月考", "bank_id": bank.id, "draw_single_choice": 3,
                                      "draw_true_false": 1, "points": 2, "max_attempts": 1, "pass_percent": 60,
                                      "multi_scoring": "all_or_nothing", "time_limit_minutes": 30,
                                      "review_closed": ["responses", "answers"]}, token_from="/exams/new")
    assert made.status_code == 302, made.get_data(as_text=True)[:3000]
    exam = db.session.scalar(select(Exam).where(Exam.title == "月考"))
    assert exam.review_policy["closed"] == ["responses", "answers"]
    detail = f"/exams/{exam.id}"
    granted = client.form(f"{detail}/grants", {"usernames": student.username, "extra_minutes": 10},
                          token_from=detail)
    assert granted.status_code == 302
    assert services.grant_of(exam.id, student.id).extra_minutes == 10
    body = client.get(detail).get_data(as_text=True)
    assert student.username in body and "抽取 3 道单选题" in body


def test_other_school_teacher_cannot_manage_and_student_without_grant_sees_404(client, login_as):
    owner = factories.user("teacher")
    _bank, qs = _bank_with(2)
    exam = builders.fixed_exam(qs, creator=owner)
    db.session.commit()
    login_as("teacher")
    assert client.get(f"/exams/{exam.id}/report").status_code == 403
    assert client.get(f"/exams/{exam.id}/grading").status_code == 403
    assert client.get(f"/exams/{exam.id}").status_code == 404


def test_student_takes_exam_in_the_page_and_sees_result_as_policy_allows(client, login_as):
    student = login_as("student")
    _bank, qs = _bank_with(2)
    exam = builders.fixed_exam(qs, students=[student],
                               review_policy={"immediately": ["responses", "points", "correctness"]})
    db.session.commit()
    mine = client.get("/my/exams").get_data(as_text=True)
    assert exam.title in mine
    started = client.form(f"/exams/{exam.id}/start", {}, token_from=f"/exams/{exam.id}")
    assert started.status_code == 302
    take_url = started.headers["Location"]
    page = client.get(take_url).get_data(as_text=True)
    assert 'id="exam"' in page and "data-deadline=" in page and "js/exam.js" in page
    assert "网络中断，答案未保存" in page
    assert "<script>" not in page  # no inline script (CSP)
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == student.id))
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    saved = client.put(f"/api/v1/attempts/{attempt.id}/items/1", json={"response": "A", "seq": 1},
                       headers={"X-CSRFToken": token})
    assert saved.status_code == 200
    reloaded = client.get(take_url).get_data(as_text=True)
    assert re.search(r'value="A"\s+checked', reloaded)  # a reload shows the saved answer
    done = client.form(f"/attempts/{attempt.id}/submit", {}, token_from=take_url)
    assert done.status_code == 302
    result = client.get(take_url).get_data(as_text=True)
    assert "得分：2 / 4" in result and "正确答案" not in result


def test_manual_grading_queue_and_regrade_with_history(client, login_as):
    teacher = login_as("teacher")
    students = [factories.user("student", school_=teacher.school) for _ in range(2)]
    bank = builders.bank()
    sc = builders.question(bank, "single_choice")
    essay = builders.question(bank, "essay")
    exam = builders.fixed_exam([sc, essay], students=students, creator=teacher, points=5)
    for s in students:
        attempt, _ = services.start_attempt(exam, s)
        services.store_response(services.load_save_target(attempt.id, 1, s.id), "B", 1)
        services.store_response(services.load_save_target(attempt.id, 2, s.id), {"text": "先断电再检修", "files": []}, 1)
        services.close_attempt(attempt.id, closed_by="student", user_id=s.id)
    db.session.commit()
    queue = client.get(f"/exams/{exam.id}/grading?question={essay.id}").get_data(as_text=True)
    assert queue.count('data-testid="grading-item"') == 2 and "先断电再检修" in queue
    item = db.session.scalar(select(services.AttemptItem).where(services.AttemptItem.question_id == essay.id)
                             .order_by(services.AttemptItem.id))
    graded = client.form(f"/exams/items/{item.id}/grade", {"score": 4, "comment": "=1+1 步骤完整"},
                         token_from=f"/exams/{exam.id}/grading")
    assert graded.status_code == 302
    too_much = client.form(f"/exams/items/{item.id}/grade", {"score": 9}, token_from=f"/exams/{exam.id}/grading")
    assert too_much.status_code == 200  # the marking page again, with the reason beside the item
    db.session.expire_all()
    attempt = item.attempt
    assert attempt.state == "graded" and attempt.score == 4.0
    # The key was wrong: B is right. Correct the question and regrade.
    builders.new_version(sc, {"options": [{"text": "扭矩扳手"}, {"text": "活动扳手", "fraction": 1},
                                          {"text": "套筒"}, {"text": "螺丝刀"}]})
    db.session.commit()
    done = client.form(f"/exams/{exam.id}/regrade/{sc.id}", {}, token_from=f"/exams/{exam.id}/regrade")
    assert done.status_code == 302
    db.session.expire_all()
    assert attempt.score == 9.0
    reasons = [g.reason for g in services.item_grades(attempt.items[0])]
    assert reasons == ["auto", "regrade"]
    events = [e.reason for e in services.attempt_history(attempt)]
    assert events[-1] == "regrade"
    # Teacher sees the history on the attempt page; the export neutralises the comment formula.
    csv = client.get(f"/exams/{exam.id}/results.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    assert students[0].username in csv.get_data(as_text=True)
    xlsx = client.get(f"/exams/{exam.id}/results.xlsx")
    assert xlsx.data[:2] == b"PK"


def test_export_neutralises_formulas(client, login_as):
    teacher = login_as("teacher")
    student = factories.user("student", school_=teacher.school, full_name="=HYPERLINK(\"x\")")
    _bank, qs = _bank_with(1)
    exam = builders.fixed_exam(qs, students=[student], creator=teacher)
    attempt, _ = services.start_attempt(exam, student)
    services.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    db.session.commit()
    text = client.get(f"/exams/{exam.id}/results.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text
    # State and how the attempt was closed read as on the pages, not as stored codes.
    assert "已评分" in text and "考生交卷" in text
    assert ",graded," not in text and not text.rstrip().endswith(",student")


def test_report_flags_questions_that_look_wrong(client, login_as):
    teacher = login_as("teacher")
    bank = builders.bank()
    good, inverted = builders.question(bank, "single_choice"), builders.question(bank, "single_choice")
    students = [factories.user("student", school_=teacher.school) for _ in range(8)]
    exam = builders.fixed_exam([good, inverted], students=students, creator=teacher)
    for n, s in enumerate(students):
        attempt, _ = services.start_attempt(exam, s)
        strong = n < 4  # strong students get the good one right and the inverted one wrong
        services.store_response(services.load_save_target(attempt.id, 1, s.id), "A" if strong else "B", 1)
        services.store_response(services.load_save_target(attempt.id, 2, s.id), "B" if strong else "A", 1)
        if strong:  # make the strong students' totals higher with the good question only
            pass
        services.close_attempt(attempt.id, closed_by="student", user_id=s.id)
    db.session.commit()
    from app.exams import reports

    report = reports.build_report(exam)
    stats = {i.question_id: i for i in report.items}
    assert report.attempts == 8 and stats[good.id].facility == 0.5
    assert stats[inverted.id].point_biserial < 0 and stats[inverted.id].flags
    page = client.get(f"/exams/{exam.id}/report").get_data(as_text=True)
    assert "区分度为负" in page and "及格率" in page


def test_list_pages_use_constant_statements(client, login_as, count_queries):
    teacher = login_as("teacher")
    bank = builders.bank()
    qs = [builders.question(bank) for _ in range(2)]

    def add_exam():
        student = factories.user("student", school_=teacher.school)
        exam = builders.fixed_exam(qs, students=[student], creator=teacher)
        attempt, _ = services.start_attempt(exam, student)
        services.close_attempt(attempt.id, closed_by="student", user_id=student.id)
        db.session.commit()
        return exam

    first = add_exam()
    with count_queries() as one:
        assert client.get("/exams").status_code == 200
    with count_queries() as one_detail:
        assert client.get(f"/exams/{first.id}").status_code == 200
    for _ in range(3):
        add_exam()
    for s in factories.user("student", school_=teacher.school), factories.user("student", school_=teacher.school):
        services.grant_access(first, s)
        attempt, _ = services.start_attempt(first, s)
        services.close_attempt(attempt.id, closed_by="student", user_id=s.id)
    db.session.commit()
    with count_queries() as many:
        assert client.get("/exams").status_code == 200
    with count_queries() as many_detail:
        assert client.get(f"/exams/{first.id}").status_code == 200
    assert one.count == many.count
    assert one_detail.count == many_detail.count


def test_student_pages_use_constant_statements(client, login_as, count_queries):
    student = login_as("student")
    bank = builders.bank()
    qs = [builders.question(bank) for _ in range(2)]
    builders.fixed_exam(qs, students=[student])
    db.session.commit()
    with count_queries() as one:
        assert client.get("/my/exams").status_code == 200
    for _ in range(4):
        exam = builders.fixed_exam(qs, students=[student])
        attempt, _ = services.start_attempt(exam, student)
    db.session.commit()
    with count_queries() as many:
        assert client.get("/my/exams").status_code == 200
    assert one.count == many.count, many.statements
    with count_queries() as take:
        assert client.get(f"/attempts/{attempt.id}").status_code == 200
    assert take.count <= 10


def test_teacher_cannot_grant_exam_to_another_schools_student(client, login_as):
    teacher = login_as("teacher")
    mine = factories.user("student", school_=teacher.school)
    elsewhere = factories.user("student")  # a student of another school
    _bank, qs = _bank_with(2)
    exam = builders.fixed_exam(qs, creator=teacher)
    db.session.commit()
    detail = f"/exams/{exam.id}"
    refused = client.form(f"{detail}/grants", {"usernames": f"{mine.username}\n{elsewhere.username}"},
                          token_from=detail)
    assert refused.status_code == 200
    assert services.grant_of(exam.id, elsewhere.id) is None and services.grant_of(exam.id, mine.id) is None
    page = refused.get_data(as_text=True)  # the exam page again, with the list as typed and the reason
    assert "不存在或不属于本校" in page and f"{mine.username}\n{elsewhere.username}</textarea>" in page
    ok = client.form(f"{detail}/grants", {"usernames": mine.username}, token_from=detail)
    assert ok.status_code == 302 and services.grant_of(exam.id, mine.id) is not None
