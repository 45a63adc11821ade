"""学情分析 after an exam: distribution and pass rate per cohort, mastery per knowledge point and learning task for
the class and each student, the same numbers in the XLSX export, and a statement count that does not grow."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.catalog.models import Profession
from app.courses import services as courses
from app.exams import access, services
from app.extensions import db
from app.questions import services as questions
from app.review import services as review
from tests import factories
from tests.exams import builders


@pytest.fixture
def task(app):
    from app.standards import services as standards

    profession = db.session.scalars(select(Profession).order_by(Profession.id)).first()
    admin = factories.user("platform_admin")
    version = standards.create_standard(profession, profession.levels[0], admin)
    course = standards.save_course(version, None, code="C1", name="汽车维护", hours=8)
    learning_task = standards.save_task(course, None, code="C1-T1", name="更换机油", hours=8)
    review.submit(version, admin)
    review.approve(version, factories.user("reviewer"))
    db.session.commit()
    return learning_task


def _exam(teacher, task):
    bank = builders.bank()
    oil = questions.create_knowledge_point(bank, name="机油规格", learning_task_id=task.id)
    tools = questions.create_knowledge_point(bank, name="工具使用")
    qs = [builders.question(bank, "single_choice", knowledge_point=oil),
          builders.question(bank, "single_choice", knowledge_point=oil),
          builders.question(bank, "single_choice", knowledge_point=tools)]
    exam = builders.fixed_exam(qs, creator=teacher, points=10, pass_percent=60)
    db.session.commit()
    return exam


def _cohort(teacher, name, n):
    cohort = courses.create_cohort(school=teacher.school, name=name, entry_year=2025)
    members = [factories.user("student", school_=teacher.school) for _ in range(n)]
    courses.add_cohort_members(cohort, members)
    db.session.commit()
    return cohort, members


def _take(exam, student, answers):
    """Answer slot by slot (a right answer is A for the sample single choice; shuffling is off)."""
    attempt, _ = services.start_attempt(exam, student)
    for item in attempt.items:
        target = services.load_save_target(attempt.id, item.slot, student.id)
        services.store_response(target, answers[item.slot - 1], 1)
    db.session.commit()  # as the autosave requests do: the close then reads the saved responses
    services.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    db.session.commit()


def _setup(teacher, task):
    exam = _exam(teacher, task)
    one, ones = _cohort(teacher, "2025级汽修1班", 2)
    two, twos = _cohort(teacher, "2025级汽修2班", 2)
    access.grant_audience(exam, "cohort", one.id, by=teacher)
    access.grant_audience(exam, "cohort", two.id, by=teacher)
    db.session.commit()
    _take(exam, ones[0], ["A", "A", "A"])  # 100 %
    _take(exam, ones[1], ["A", "B", "B"])  # 33 %: failed
    _take(exam, twos[0], ["A", "A", "B"])  # 67 %
    return exam, ones, twos


def test_the_page_shows_pass_rate_per_cohort_mastery_and_links_the_learning_task(client, login_as, task):
    teacher = login_as("teacher")
    exam, ones, twos = _setup(teacher, task)
    page = client.get(f"/exams/{exam.id}/analytics").get_data(as_text=True)
    assert "2025级汽修1班" in page and "2025级汽修2班" in page
    # Cohort 1: 2 students, 1 passed, 50 %; cohort 2: 1 student passed, 100 %.
    assert "<td>2025级汽修1班</td><td>2</td><td>1</td><td>50</td>" in page
    assert "<td>2025级汽修2班</td><td>1</td><td>1</td><td>100</td>" in page
    # 机油规格: 5 of 6 right = 83.3 %; 工具使用: 1 of 3 = 33.3 %.
    assert "机油规格" in page and "83.3" in page and "33.3" in page
    assert "C1-T1 更换机油" in page and "/standards/versions/" in page
    assert 'data-chart="bar"' in page and "chart.umd.min.js" in page


def test_the_export_has_the_same_numbers_as_the_page(client, login_as, task):
    teacher = login_as("teacher")
    exam, ones, twos = _setup(teacher, task)
    response = client.get(f"/exams/{exam.id}/analytics.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    groups = [[c.value for c in row] for row in book["班级"].iter_rows(min_row=2)]
    assert groups == [["2025级汽修1班", 2, 1, 50, 66.7], ["2025级汽修2班", 1, 1, 100, 66.7]]
    points = {row[0].value: row[2].value for row in book["知识点掌握"].iter_rows(min_row=2)}
    assert points == {"工具使用": 33.3, "机油规格": 83.3}
    tasks = [[c.value for c in row] for row in book["学习任务掌握"].iter_rows(min_row=2)]
    assert tasks == [["C1-T1 更换机油", 83.3]]
    students = {row[0].value: [c.value for c in row] for row in book["学生掌握"].iter_rows(min_row=2)}
    assert students[ones[1].username][5:] == [33.3, 0, 50, 50]  # 工具使用, 机油规格, 更换机油
    page = client.get(f"/exams/{exam.id}/analytics").get_data(as_text=True)
    for value in ("66.7", "83.3", "33.3"):
        assert value in page


def test_other_teachers_cannot_see_the_analytics(client, login_as, task):
    teacher = factories.user("teacher")
    exam = _exam(teacher, task)
    login_as("teacher")
    assert client.get(f"/exams/{exam.id}/analytics").status_code in (403, 404)
    assert client.get(f"/exams/{exam.id}/analytics.xlsx").status_code in (403, 404)


def test_statement_count_is_constant_as_attempts_grow(client, login_as, task, count_queries):
    teacher = login_as("teacher")
    exam, ones, twos = _setup(teacher, task)
    url = f"/exams/{exam.id}/analytics"
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    _, more = _cohort(teacher, "2025级汽修3班", 5)
    for s in more:
        services.grant_access(exam, s)
        _take(exam, s, ["A", "B", "A"])
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert many.count == few.count, many.statements

