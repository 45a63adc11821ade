"""Activities that open another domain's object: an exam the course's learners may take, a workbook to read."""
from __future__ import annotations

from sqlalchemy import select

from app.courses import services
from app.courses.activities import KINDS
from app.exams.models import ExamGrant
from app.extensions import db
from tests import factories
from tests.courses import builders
from tests.exams import builders as exam_builders
from tests.workbooks import helpers as wb


def test_course_learners_may_take_the_course_exam_whenever_they_joined(client, login_as):
    teacher = factories.user("teacher")
    course, (early,) = builders.course(teacher, students=1)
    question = exam_builders.question(exam_builders.bank(), "single_choice")
    exam = exam_builders.fixed_exam([question], students=[], creator=teacher, points=5)
    activity = services.add_activity(course, kind="exam", title="单元测验", target_id=exam.id,
                                     rule={"require": "submitted"})
    late = factories.user("student", school_=teacher.school)
    services.enrol_user(course, late)
    db.session.commit()
    granted = set(db.session.scalars(select(ExamGrant.user_id).where(ExamGrant.exam_id == exam.id)))
    assert {early.id, late.id} <= granted
    login_as(user=late)
    page = client.get(f"/courses/{course.id}/activities/{activity.id}").get_data(as_text=True)
    assert f'href="/exams/{exam.id}"' in page
    assert client.get(f"/exams/{exam.id}").status_code == 200


def test_a_student_outside_the_course_still_cannot_open_the_exam(client, login_as):
    teacher = factories.user("teacher")
    course, _ = builders.course(teacher, students=1)
    exam = exam_builders.fixed_exam([exam_builders.question(exam_builders.bank(), "single_choice")], students=[],
                                    creator=teacher, points=5)
    services.add_activity(course, kind="exam", title="单元测验", target_id=exam.id, rule={"require": "submitted"})
    db.session.commit()
    login_as("student")
    assert client.get(f"/exams/{exam.id}").status_code == 404


def test_another_schools_exam_cannot_be_linked_by_id(client, login_as):
    """An activity (or grade item) may only point at an object the course may use: putting another school's exam
    id in the form used to grant this course's learners access to it."""
    from app.grading import services as grading

    foreign_teacher = factories.user("teacher")
    foreign = exam_builders.fixed_exam([exam_builders.question(exam_builders.bank(), "single_choice")], students=[],
                                       creator=foreign_teacher, points=5)
    teacher = login_as("teacher")
    course, (student,) = builders.course(teacher, students=1)
    db.session.commit()
    url = f"/courses/{course.id}/activities/new"
    response = client.form(url, {"kind": "exam", "title": "借用的考试", "target_id-exam": str(foreign.id),
                                 "require": "submitted"}, token_from=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "所选考试不在可选范围内" in page and 'value="借用的考试"' in page
    assert services.activities(course) == []
    assert db.session.scalar(select(ExamGrant.id).where(ExamGrant.exam_id == foreign.id)) is None
    setup = f"/courses/{course.id}/gradebook/setup"
    item = client.form(setup, {"what": "item", "item-name": "借用的考试", "item-kind": "exam", "item-max_points": "100",
                               "item-weight": "1", "item-category_id": "0", "item-target_id-exam": str(foreign.id)},
                       token_from=setup)
    assert "所选考试不在可选范围内" in item.get_data(as_text=True)
    assert grading.items(course) == []
    own = exam_builders.fixed_exam([exam_builders.question(exam_builders.bank(), "single_choice")], students=[],
                                   creator=teacher, points=5)
    db.session.commit()
    assert client.form(url, {"kind": "exam", "title": "本校考试", "target_id-exam": str(own.id), "require": "submitted"},
                       token_from=url).status_code == 302


def test_workbook_activity_lists_published_workbooks_and_is_marked_read(client, login_as):
    assert "workbook" in KINDS
    author, reviewer = factories.user("teacher"), factories.user("reviewer")
    teacher = factories.user("teacher")
    course, (student,) = builders.course(teacher, students=1, profession=wb.profession())
    published = wb.workbook(author, title="已发布的工作页")
    wb.page(published, author)
    wb.publish(_latest(published), author, reviewer)
    wb.workbook(author, title="还没有发布的工作页")
    titles = [title for _id, title in KINDS["workbook"].targets(course)]
    assert "已发布的工作页" in titles and "还没有发布的工作页" not in titles
    activity = services.add_activity(course, kind="workbook", title="阅读工作页", target_id=published.id)
    db.session.commit()
    login_as(user=student)
    page = client.get(f"/courses/{course.id}/activities/{activity.id}").get_data(as_text=True)
    assert f'href="/workbooks/{published.id}"' in page
    done = client.form(f"/courses/{course.id}/activities/{activity.id}/done",
                       token_from=f"/courses/{course.id}/activities/{activity.id}")
    assert done.status_code == 302
    matrix = services.completion_matrix([activity], [student.id])
    assert matrix[activity.id][student.id].done


def _latest(workbook):
    from app.workbooks import services as workbooks

    page = workbooks.pages_of_workbook(workbook, include_unpublished=True)[0].page
    return workbooks.latest_version(page)


def test_each_object_kind_links_to_its_object(app):
    from types import SimpleNamespace

    with app.test_request_context():
        urls = {name: KINDS[name].target_url(SimpleNamespace(target_id=7)) for name in
                ("exam", "workbook", "video", "work_task")}
        assert urls == {"exam": "/exams/7", "workbook": "/workbooks/7", "video": "/media/videos/7",
                        "work_task": "/tasks/7"}
        assert KINDS["page"].target_url(SimpleNamespace(target_id=None)) is None


def test_activity_form_offers_titles_by_kind_name_and_takes_the_choice(client, login_as):
    """添加活动 lists, per kind (named in Chinese), the titles of the objects this course may use; the teacher
    picks one — no number is asked for or shown — and the activity points at it."""
    teacher = login_as("teacher")
    course, _ = builders.course(teacher, students=1)
    own = exam_builders.fixed_exam([exam_builders.question(exam_builders.bank(), "single_choice")], students=[],
                                   creator=teacher, points=5, title="制动系统单元测验")
    foreign = exam_builders.fixed_exam([exam_builders.question(exam_builders.bank(), "single_choice")], students=[],
                                       creator=factories.user("teacher"), points=5, title="外校的考试")
    db.session.commit()
    url = f"/courses/{course.id}/activities/new"
    page = client.get(url).get_data(as_text=True)
    assert "编号" not in page
    for key in ("workbook", "exam", "work_task", "video"):
        assert f"：{key}" not in page and f">{key}<" not in page
    assert "选择考试" in page and f'<option value="{own.id}">制动系统单元测验</option>' in page
    assert "外校的考试" not in page and foreign.title not in page
    missing = client.form(url, {"kind": "exam", "title": "没选考试", "require": "submitted"}, token_from=url)
    assert missing.status_code == 200 and "请从列表中选择考试" in missing.get_data(as_text=True)
    added = client.form(url, {"kind": "exam", "title": "单元测验", "target_id-exam": str(own.id),
                              "target_id-workbook": "", "require": "submitted"}, token_from=url)
    assert added.status_code == 302
    (activity,) = services.activities(course)
    assert (activity.kind, activity.target_id) == ("exam", own.id)


def test_exam_activity_waiting_for_hand_marking_says_pending_not_failed(client, login_as):
    """A "pass the exam" activity: an attempt with an essay a teacher has not marked yet is 待评分 on the
    learner's course page; once marked, it passes or fails by its score."""
    from app.exams import services as exams

    teacher = factories.user("teacher")
    course, (student,) = builders.course(teacher, students=1)
    bank = exam_builders.bank()
    essay = exam_builders.question(bank, "essay")
    exam = exam_builders.fixed_exam([essay], students=[], creator=teacher, points=10)
    services.add_activity(course, kind="exam", title="实操简答", target_id=exam.id, rule={"require": "passed"})
    attempt, _ = exams.start_attempt(exam, student)
    exams.store_response(exams.load_save_target(attempt.id, 1, student.id), {"text": "先断电", "files": []}, 1)
    exams.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    db.session.commit()
    assert exams.get_attempt(attempt.id).state == "needs_grading"
    login_as(user=student)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "待评分" in page and "考试未通过" not in page
    exams.grade_manually(exams.get_attempt(attempt.id).items[0], score=3, comment="", grader=teacher)
    db.session.commit()
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "考试未通过" in page and "待评分" not in page
def test_grade_item_object_is_chosen_from_the_list_and_shown_chosen_when_edited(client, login_as):
    from app.grading import services as grading

    teacher = login_as("teacher")
    course, _ = builders.course(teacher, students=1)
    exam = exam_builders.fixed_exam([exam_builders.question(exam_builders.bank(), "single_choice")], students=[],
                                    creator=teacher, points=5, title="期末理论考试")
    db.session.commit()
    setup = f"/courses/{course.id}/gradebook/setup"
    page = client.get(setup).get_data(as_text=True)
    assert "编号" not in page and "选择考试" in page and f'<option value="{exam.id}">期末理论考试</option>' in page
    added = client.form(setup, {"what": "item", "item-name": "期末考试", "item-kind": "exam", "item-max_points": "100",
                                "item-weight": "1", "item-category_id": "0", "item-target_id-exam": str(exam.id)},
                        token_from=setup)
    assert added.status_code == 302
    (item,) = grading.items(course)
    assert (item.kind, item.target_id) == ("exam", exam.id)
    edit = client.get(f"/courses/{course.id}/gradebook/items/{item.id}/edit").get_data(as_text=True)
    assert f'<option value="{exam.id}" selected>期末理论考试</option>' in edit
