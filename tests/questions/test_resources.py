"""Questions linked to learning tasks appear in the profession's resource package, for staff only."""
from __future__ import annotations

from app.extensions import db
from app.questions import services as questions
from tests.exams import builders
from tests.workbooks import helpers as wb


def _linked_questions(count: int):
    task = wb.approved_standard_task("C3-T1")
    bank = builders.bank()
    point = questions.create_knowledge_point(bank, name="制动片更换", learning_task_id=task.id)
    for _ in range(count):
        builders.question(bank, "single_choice", knowledge_point=point)
    db.session.commit()
    return task, bank, point


def test_teachers_see_how_many_questions_serve_a_task_and_learners_do_not(client, login_as):
    task, bank, point = _linked_questions(3)
    profession = wb.profession_of(task)
    login_as("teacher")
    page = client.get(f"/professions/{profession.id}").get_data(as_text=True)
    assert "3 道题" in page and f"/questions/banks/{bank.id}?point={point.id}" in page
    coverage = client.get(f"/professions/{profession.id}/coverage").get_data(as_text=True)
    assert "试题" in coverage
    client.form("/logout", token_from="/home")
    login_as("student")
    page = client.get(f"/professions/{profession.id}").get_data(as_text=True)
    assert "道题" not in page and "/questions/banks/" not in page


def _coverage_cell(page: str, task_code: str, kind_label: str) -> str:
    """The text of the coverage table's cell of ``task_code`` under the column ``kind_label``."""
    import re

    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    columns = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
    for row in re.findall(r'<tr data-testid="coverage-row">(.*?)</tr>', page, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if task_code in cells[1]:
            return cells[columns.index(kind_label)]
    raise AssertionError(f"no coverage row for {task_code}")


def test_questions_of_sub_points_count_for_the_task(client, login_as):
    """Questions usually sit on the leaves under the point linked to a task: they are the task's questions (the
    coverage view said 缺少 though the bank had them). A sub-point linked to another task counts for that one."""
    task = wb.approved_standard_task("C3-T1")
    other_task = wb.approved_standard_task("C3-T2")
    bank = builders.bank()
    point = questions.create_knowledge_point(bank, name="盘式制动器检修", learning_task_id=task.id)
    child = questions.create_knowledge_point(bank, name="制动片更换", parent=point)
    leaf = questions.create_knowledge_point(bank, name="厚度测量", parent=child)
    elsewhere = questions.create_knowledge_point(bank, name="制动液更换", parent=point, learning_task_id=other_task.id)
    for p, n in ((child, 2), (leaf, 1), (elsewhere, 4)):
        for _ in range(n):
            builders.question(bank, "single_choice", knowledge_point=p)
    db.session.commit()
    profession = wb.profession_of(task)
    login_as("teacher")
    coverage = client.get(f"/professions/{profession.id}/coverage").get_data(as_text=True)
    assert _coverage_cell(coverage, "C3-T1", "试题") == "✓ 1"  # one linked point (with 3 questions below it)
    assert _coverage_cell(coverage, "C3-T2", "试题") == "✓ 1"
    page = client.get(f"/professions/{profession.id}").get_data(as_text=True)
    assert "3 道题" in page and "4 道题" in page and "7 道题" not in page


def test_learners_are_not_told_about_question_coverage(client, login_as):
    task, bank, point = _linked_questions(2)
    profession = wb.profession_of(task)
    login_as("student")
    coverage = client.get(f"/professions/{profession.id}/coverage").get_data(as_text=True)
    assert 'data-testid="lacking-questions"' not in coverage and "<th>试题</th>" not in coverage
    assert "缺少试题" not in coverage
    assert _coverage_cell(coverage, "C3-T1", "活页")  # the other kinds are still reported
    page = client.get(f"/professions/{profession.id}").get_data(as_text=True)
    assert 'value="questions"' not in page  # no 试题 in the resource-kind filter
    search = client.get(f"/resources/search?q=制动&profession={profession.id}").get_data(as_text=True)
    assert 'value="questions"' not in search
