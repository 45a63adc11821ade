"""The gradebook through its pages and API: entry, overrides beside computed grades, 409 on concurrent edits,
category cycles, exports, the learner's view, transcripts and the skill-level eligibility report."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.auth import services as auth
from app.courses import services as courses
from app.extensions import db
from app.grading import services
from app.grading.models import FinalGrade, Grade, GradeOverride
from tests import factories
from tests.courses import builders


def _book(teacher, students=1, **student_fields):
    course, learners = builders.course(teacher, students=0)
    learners = [factories.user("student", school_=course.school, **student_fields) for _ in range(students)]
    if learners:
        courses.enrol_users(course, learners)
    practical = services.save_item(course, None, name="实操考核", max_points=100, min_score=60)
    theory = services.save_item(course, None, name="理论考试", max_points=100)
    return course, learners, practical, theory


def _cell(course, item, student):
    return f"/courses/{course.id}/gradebook/grades/{item.id}/{student.id}"


def test_teacher_enters_a_manual_grade_and_the_final_is_recomputed(client, login_as):
    teacher = login_as("teacher")
    course, (student,), practical, theory = _book(teacher)
    db.session.commit()
    response = client.form(_cell(course, practical, student), {"mode": "value", "value": "75", "version": "0"},
                           token_from=f"/courses/{course.id}/gradebook")
    assert response.status_code == 302
    response = client.form(_cell(course, theory, student), {"mode": "value", "value": "65", "version": "0"},
                           token_from=f"/courses/{course.id}/gradebook")
    final = db.session.scalar(select(FinalGrade).where(FinalGrade.user_id == student.id))
    assert (final.value, final.status) == (70.0, "passed")
    page = client.get(f"/courses/{course.id}/gradebook").get_data(as_text=True)
    assert "75" in page and "通过" in page


def test_override_needs_a_reason_and_is_kept_beside_the_computed_grade(client, login_as):
    teacher = login_as("teacher")
    course, (student,), practical, _theory = _book(teacher)
    services.set_manual_grade(course, practical, student.id, 55, by=teacher, expected_version=0)
    db.session.commit()
    url, token = _cell(course, practical, student), f"/courses/{course.id}/gradebook"
    response = client.form(url, {"mode": "override", "value": "62", "reason": "", "version": "1"}, token_from=token)
    assert response.status_code == 400 and "原因" in response.get_data(as_text=True)
    response = client.form(url, {"mode": "override", "value": "62", "reason": "补考合格", "version": "1"},
                           token_from=token)
    assert response.status_code == 302
    db.session.expire_all()
    grade = db.session.scalar(select(Grade).where(Grade.user_id == student.id, Grade.item_id == practical.id))
    assert (grade.value, grade.effective, grade.overridden) == (55.0, 62.0, True)
    history = db.session.scalars(select(GradeOverride).where(GradeOverride.grade_id == grade.id)).all()
    assert [(o.value, o.reason, o.created_by_id) for o in history] == [(62.0, "补考合格", teacher.id)]
    page = client.get(url).get_data(as_text=True)
    assert "补考合格" in page and "覆盖后" in page
    # Withdrawing the override appends to the history; the computed value counts again.
    client.form(url, {"mode": "override", "value": "", "reason": "误操作，撤销", "version": str(grade.version)},
                token_from=token)
    db.session.expire_all()
    grade = db.session.get(Grade, grade.id)
    assert grade.effective == 55.0
    assert db.session.scalar(select(GradeOverride).where(GradeOverride.grade_id == grade.id).order_by(
        GradeOverride.id.desc())).reason == "误操作，撤销"
    assert len(db.session.scalars(select(GradeOverride).where(GradeOverride.grade_id == grade.id)).all()) == 2


def test_second_teacher_editing_the_same_grade_gets_409(app, client, login_as):
    first = login_as("teacher")
    course, (student,), practical, _theory = _book(first)
    second = factories.user("teacher", school_=first.school)
    courses.enrol_user(course, second, role="instructor")
    db.session.commit()
    other = app.test_client()
    login_as(user=second, client_=other)
    url, token = _cell(course, practical, student), f"/courses/{course.id}/gradebook"
    # Both opened the cell at version 0; the first save wins, the second is refused, nothing is overwritten.
    assert client.form(url, {"mode": "value", "value": "70", "version": "0"}, token_from=token).status_code == 302
    response = other.form(url, {"mode": "value", "value": "90", "version": "0"}, token_from=token)
    assert response.status_code == 409
    assert db.session.scalar(select(Grade.value).where(Grade.item_id == practical.id)) == 70.0


def test_api_grade_edit_with_stale_version_is_409(app, login_as):
    teacher = factories.user("teacher")
    course, (student,), practical, _theory = _book(teacher)
    _t, plain = auth.issue_api_token(teacher)
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    url = f"/api/courses/{course.id}/grades/{practical.id}/{student.id}"
    assert api.get(url, headers=headers).get_json()["version"] == 0
    ok = api.put(url, json={"value": 80, "version": 0}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["version"] == 1
    stale = api.put(url, json={"value": 10, "version": 0}, headers=headers)
    assert stale.status_code == 409 and stale.get_json()["error"]["details"]["current_version"] == 1
    no_reason = api.put(url, json={"value": 90, "version": 1, "override": True}, headers=headers)
    assert no_reason.status_code == 400
    done = api.put(url, json={"value": 90, "version": 1, "override": True, "reason": "复核加分"}, headers=headers)
    assert done.get_json()["effective"] == 90 and done.get_json()["value"] == 80


def test_api_grade_edit_with_malformed_json_is_a_clear_400(app):
    """A JSON body that is not an object, or a reason that is not text, is refused with a message (it was a 500)."""
    teacher = factories.user("teacher")
    course, (student,), practical, _theory = _book(teacher)
    _t, plain = auth.issue_api_token(teacher)
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    url = f"/api/courses/{course.id}/grades/{practical.id}/{student.id}"
    not_object = api.put(url, json=[80, 0], headers=headers)
    assert not_object.status_code == 400 and not_object.get_json()["error"]["message"] == "请求内容必须是 JSON 对象。"
    list_reason = api.put(url, json={"value": 90, "version": 0, "override": True, "reason": ["复核"]}, headers=headers)
    assert list_reason.status_code == 400 and "必须填写原因" in list_reason.get_json()["error"]["message"]
    assert api.get(url, headers=headers).get_json()["version"] == 0


def test_computed_item_cannot_be_typed_over(client, login_as):
    """Items computed by a source only accept overrides (here: an unregistered-by-hand kind is simulated)."""
    from app.grading.sources import GradeSource, SOURCES

    class Fixed(GradeSource):
        name = "test_fixed"

        def compute(self, items, user_ids):
            return {(i.id, u): 42.0 for i in items for u in user_ids}

    SOURCES["test_fixed"] = Fixed()
    try:
        teacher = login_as("teacher")
        course, (student,), _p, _t = _book(teacher)
        item = services.save_item(course, None, name="系统计算项", kind="test_fixed", max_points=50)
        services.recompute_finals(course)
        db.session.commit()
        grade = db.session.scalar(select(Grade).where(Grade.item_id == item.id))
        assert (grade.value, grade.source) == (42.0, "test_fixed:")
        response = client.form(_cell(course, item, student), {"mode": "value", "value": "1", "version": "1"},
                               token_from=f"/courses/{course.id}/gradebook")
        assert response.status_code == 400 and "覆盖成绩" in response.get_data(as_text=True)
    finally:
        del SOURCES["test_fixed"]


def test_category_cycle_is_refused(client, login_as):
    teacher = login_as("teacher")
    course, _ = builders.course(teacher)
    outer = services.save_category(course, None, name="外层", weight=1)
    inner = services.save_category(course, None, name="内层", weight=1, parent_id=outer.id)
    db.session.commit()
    response = client.form(f"/courses/{course.id}/gradebook/categories/{outer.id}/parent", {"parent_id": inner.id},
                           token_from=f"/courses/{course.id}/gradebook/setup")
    assert response.status_code == 400 and "循环" in response.get_data(as_text=True)
    response = client.form(f"/courses/{course.id}/gradebook/categories/{outer.id}/parent", {"parent_id": outer.id},
                           token_from=f"/courses/{course.id}/gradebook/setup")
    assert response.status_code == 400


def test_setup_page_adds_categories_and_items(client, login_as):
    teacher = login_as("teacher")
    course, _ = builders.course(teacher)
    db.session.commit()
    url = f"/courses/{course.id}/gradebook/setup"
    client.form(url, {"what": "category", "cat-name": "终结性考核", "cat-weight": "60", "cat-drop_lowest": "0",
                      "cat-parent_id": "0"}, token_from=url)
    cat = services.categories(course)[0]
    response = client.form(url, {"what": "item", "item-name": "实操考核", "item-kind": "manual",
                                 "item-category_id": str(cat.id), "item-max_points": "100", "item-weight": "1",
                                 "item-min_score": "60"}, token_from=url)
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "终结性考核" in page and "实操考核" in page and "已添加" in page


def test_exports_neutralise_formulas(client, login_as):
    teacher = login_as("teacher")
    course, (student,), practical, _theory = _book(teacher, full_name='=HYPERLINK("http://evil.example","点我")')
    services.set_manual_grade(course, practical, student.id, 88, by=teacher, expected_version=0)
    db.session.commit()
    response = client.get(f"/courses/{course.id}/gradebook/export.xlsx")
    assert response.status_code == 200 and "filename*=UTF-8''" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1].startswith("'=HYPERLINK") and rows[1][2] == 88
    assert sheet.cell(row=2, column=2).data_type != "f"
    response = client.get(f"/courses/{course.id}/gradebook/export.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[1][1].startswith("'=HYPERLINK") and rows[0][-1] == "结果"


def test_student_sees_own_grades_and_how_the_final_is_computed(client, login_as):
    teacher = factories.user("teacher")
    course, (classmate,), practical, theory = _book(teacher)
    process = services.save_category(course, None, name="过程性评价", weight=40, drop_lowest=1)
    sheets = [services.save_item(course, None, name=f"工作页{n}", max_points=10, category_id=process.id)
              for n in (1, 2, 3)]
    hidden = services.save_item(course, None, name="尚未公布的测验", hidden=True)
    student = login_as("student", school_=teacher.school)
    courses.enrol_user(course, student)
    for it, value in zip(sheets + [practical], (8, 9, 6, 50)):
        services.set_manual_grade(course, it, student.id, value, by=teacher, expected_version=0)
    services.set_manual_grade(course, hidden, student.id, 99, by=teacher, expected_version=0)
    db.session.commit()
    page = client.get(f"/courses/{course.id}/grades").get_data(as_text=True)
    assert "最低分，已去掉" in page and "过程性评价" in page and "权重 40" in page
    assert "低于该项最低要求 60" in page and "不及格" in page
    assert "尚未公布的测验" not in page and "待评" in page  # 理论考试 not graded yet
    assert client.get(f"/courses/{course.id}/grades/{classmate.id}").status_code == 403
    assert client.get(f"/courses/{course.id}/gradebook").status_code == 403


def _gradebook_statements(client, count_queries, students: int) -> int:
    teacher = factories.user("teacher")
    course, learners, practical, theory = _book(teacher, students=students)
    for s in learners[::2]:
        services.set_manual_grade(course, practical, s.id, 70, by=teacher, expected_version=0)
    services.override_grade(course, theory, learners[0].id, 80, reason="复核", by=teacher, expected_version=0)
    db.session.commit()
    from tests.conftest import PASSWORD

    client.form("/login", {"username": teacher.username, "password": PASSWORD})
    client.get(f"/courses/{course.id}/gradebook")
    with count_queries() as q:
        response = client.get(f"/courses/{course.id}/gradebook")
    assert response.status_code == 200 and response.get_data(as_text=True).count("<tr>") == students + 1
    return q.count


def test_gradebook_statements_do_not_grow_with_students(app, count_queries):
    small = _gradebook_statements(app.test_client(), count_queries, 5)
    large = _gradebook_statements(app.test_client(), count_queries, 60)
    assert small == large and large <= 10


def test_transcript_shows_the_skill_level_a_passed_class_course_counts_toward(client, login_as):
    teacher = factories.user("teacher")
    course, _l, practical, theory = _book(teacher)
    student = login_as("student", school_=teacher.school)
    courses.enrol_user(course, student)
    services.set_manual_grade(course, practical, student.id, 80, by=teacher, expected_version=0)
    services.set_manual_grade(course, theory, student.id, 70, by=teacher, expected_version=0)
    db.session.commit()
    page = client.get("/transcript").get_data(as_text=True)
    level = builders.level().skill_level
    assert course.title in page and "75" in page and "通过" in page and level.name in page
    # each course's action leads to the learner's own grades of it
    assert f'href="/courses/{course.id}/grades"' in page
    assert client.get(f"/courses/{course.id}/grades").status_code == 200
    other = factories.user("student", school_=teacher.school)
    db.session.commit()
    assert client.get(f"/transcript/{other.id}").status_code == 403


def test_eligibility_report_and_export_are_school_scoped(client, login_as):
    admin = login_as("school_admin")
    teacher = factories.user("teacher", school_=admin.school)
    cohort = courses.create_cohort(school=admin.school, name="2025级汽修2班", entry_year=2025,
                                   profession=builders.profession(), training_level=builders.level())
    good, weak = (factories.user("student", school_=admin.school, full_name=n) for n in ("合格生", "待补考"))
    courses.add_cohort_members(cohort, [good, weak])
    titles = []
    for n in (1, 2):
        course, _ = builders.course(teacher, title=f"一体化课程{n}")
        courses.enrol_cohort(course, cohort)
        item = services.save_item(course, None, name="实操考核", max_points=100)
        services.set_manual_grade(course, item, good.id, 85, by=teacher, expected_version=0)
        services.set_manual_grade(course, item, weak.id, 85 if n == 1 else 40, by=teacher, expected_version=0)
        titles.append(course.title)
    db.session.commit()
    page = client.get(f"/cohorts/{cohort.id}/eligibility").get_data(as_text=True)
    assert builders.level().skill_level.name in page
    assert page.count("badge text-bg-success") == 1 and "一体化课程2" in page
    response = client.get(f"/cohorts/{cohort.id}/eligibility.xlsx")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["合格生"][-1] == "符合" and by_name["待补考"][-1] == "不符合"
    assert by_name["待补考"][7] == "一体化课程2"
    outsider = factories.user("school_admin")
    db.session.commit()
    other = client.application.test_client()
    login_as(user=outsider, client_=other)
    assert other.get(f"/cohorts/{cohort.id}/eligibility").status_code == 403
    assert other.get(f"/cohorts/{cohort.id}/eligibility.xlsx").status_code == 403


def test_eligibility_needs_an_integrated_profession(login_as):
    admin = factories.user("school_admin")
    cohort = courses.create_cohort(school=admin.school, name="非一体化班", entry_year=2025,
                                   profession=builders.profession("auto-manufacturing"),
                                   training_level=builders.level())
    report = services.eligibility(cohort)
    assert "不是工学一体化专业" in report.blocker


def test_inline_edit_with_htmx_swaps_the_cell(client, login_as):
    teacher = login_as("teacher")
    course, (student,), practical, _theory = _book(teacher)
    db.session.commit()
    url = _cell(course, practical, student)
    form = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="version" value="0"' in form and "<html" not in form
    response = client.form(url, {"mode": "value", "value": "64.5", "version": "0"},
                           token_from=f"/courses/{course.id}/gradebook", headers={"HX-Request": "true"})
    cell = response.get_data(as_text=True)
    assert response.status_code == 200 and "64.5" in cell and "fw-bold" in cell and "<html" not in cell
    assert f'hx-get="{url}"' in cell
    page = client.get(f"/courses/{course.id}/gradebook").get_data(as_text=True)
    assert f'hx-get="{url}"' in page  # the concatenated cell URLs are the route's URLs
    cancel = client.get(url + "?view=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "64.5" in cancel and "fw-bold" not in cancel


def test_teacher_edits_an_item_and_the_finals_follow(client, login_as):
    teacher = login_as("teacher")
    course, (student,), practical, theory = _book(teacher)
    services.set_manual_grade(course, practical, student.id, 50, by=teacher, expected_version=0)
    services.set_manual_grade(course, theory, student.id, 90, by=teacher, expected_version=0)
    db.session.commit()
    assert db.session.scalar(select(FinalGrade.status).where(FinalGrade.user_id == student.id)) == "failed"
    url = f"/courses/{course.id}/gradebook/items/{practical.id}/edit"
    assert "实操考核" in client.get(url).get_data(as_text=True)
    response = client.form(url, {"item-name": "实操考核", "item-kind": "manual", "item-category_id": "0",
                                 "item-max_points": "100", "item-weight": "1", "item-min_score": "45"}, token_from=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(FinalGrade.status).where(FinalGrade.user_id == student.id)) == "passed"


def test_a_school_admin_s_transcript_view_links_each_course_to_the_learner_s_report(client, login_as):
    teacher = factories.user("teacher")
    course, _l, practical, _theory = _book(teacher)
    student = factories.user("student", school_=teacher.school)
    courses.enrol_user(course, student)
    services.set_manual_grade(course, practical, student.id, 80, by=teacher, expected_version=0)
    db.session.commit()
    login_as("school_admin", school_=teacher.school)
    page = client.get(f"/transcript/{student.id}").get_data(as_text=True)
    link = f"/courses/{course.id}/grades/{student.id}"
    assert f'href="{link}"' in page
    assert client.get(link).status_code == 200
