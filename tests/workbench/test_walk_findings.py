"""What a walk through the demo as each role showed on the workbench and nearby pages, read as the user reads it:
no "等待 0 天", no "0 / 0 项活动（0%）" for a course that has nothing yet, no blank exam window."""
from __future__ import annotations

import re

from app.extensions import db
from tests import factories
from tests.courses import builders as course_builders
from tests.exams import builders as exam_builders
from tests.workbench import builders


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_review_item_submitted_today_is_not_said_to_have_waited_0_days(client, login_as):
    exam_builders.question(exam_builders.bank(), approved=False)
    db.session.commit()
    login_as("reviewer")
    text = _text(client.get("/home").get_data(as_text=True))
    assert "审核试题（1 项）" in text
    assert "0 天" not in text and "最早的提交于 24 小时内" in text


def test_a_course_without_activities_says_so_instead_of_0_of_0(client, login_as):
    student = factories.user("student")
    course, _ = course_builders.course(school=student.school, title="空课程")
    from app.courses import services as courses

    courses.enrol_user(course, student)
    db.session.commit()
    login_as(user=student)
    text = _text(client.get("/home").get_data(as_text=True))
    assert "空课程" in text
    assert "0 / 0" not in text and "老师还没有发布学习活动" in text


def test_the_exam_list_says_when_an_exam_has_no_time_window(client, login_as):
    teacher = login_as("teacher")
    builders.open_exam([], creator=teacher, title="随堂测验")
    db.session.commit()
    html = client.get("/exams").get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if "随堂测验" in r)
    cells = [_text(c).strip() for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
    assert cells[1:3] == ["立即", "不限"], cells


def test_certificates_of_a_program_without_a_profession_are_counted_under_a_name_not_a_dash(client, login_as):
    from sqlalchemy import select

    from app.certification import progress
    from app.certification import services as certification
    from app.certification.models import TeacherLevel
    from app.courses import services as courses

    level = db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)).first()
    course = courses.create_course(title="工学一体化课程教学实施", kind="training_course", is_shared=True)
    prog = certification.save_program(key="walk", title="走查项目", level=level, courses=[(course, 0)])
    teacher = factories.user("teacher")
    certification.enroll(prog, teacher)
    certification.issue_certificate(prog, teacher)
    db.session.commit()
    progress.clear_cache()
    login_as("platform_admin")
    html = client.get("/progress").get_data(as_text=True)
    by_profession = _text(html.split("按专业")[1].split("</table>")[0])
    assert "不限专业" in by_profession and "—" not in by_profession
    progress.clear_cache()
    # the platform's training course in the course list: no blank term or profession cells
    listing = client.get("/courses").get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr>.*?</tr>", listing, flags=re.S) if "工学一体化课程教学实施" in r)
    cells = [_text(c).strip() for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
    assert all(cells), cells


def test_the_mentor_s_home_leads_to_each_apprentice_s_progress_and_names_them_as_the_course_does(client, login_as):
    from app.courses import services as courses

    teacher = factories.user("teacher")
    course, (apprentice,) = course_builders.course(teacher, students=1)
    mentor = factories.user("mentor")
    courses.assign_mentor(course, apprentice, mentor)
    db.session.commit()
    login_as(user=mentor)
    home = client.get("/home").get_data(as_text=True)
    assert f'href="/courses/{course.id}/students/{apprentice.id}"' in home
    assert client.get(f"/courses/{course.id}/students/{apprentice.id}").status_code == 200
    course_page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "我的学徒" in home and "我的学徒" in course_page and "徒弟" not in course_page


def test_a_stage_name_is_quoted_as_a_stage_not_read_as_a_verb(client, login_as):
    """The 决策 stage is called 做出决策: "审批做出决策" and "做出决策已通过" read as broken sentences."""
    from sqlalchemy import select

    from app.notifications.models import Notification
    from app.tasks import services as tasks
    from tests.tasks import builders as task_builders

    a, _course, teacher, (student, _other) = builders.work_task()
    submission = builders.plan_handed_in(a, student, teacher)
    db.session.commit()
    stage = task_builders.stage(a, "decide")
    login_as(user=teacher)
    titles = [i["title"] for i in client.get("/api/v1/me/todo").get_json()["items"]]
    assert any(t.startswith(f"审批“{stage.name}”环节：") for t in titles), titles
    tasks.decide_stage(submission, stage, by=teacher, approve=True)
    db.session.commit()
    [note] = db.session.scalars(select(Notification).where(Notification.recipient_id == student.id,
                                                          Notification.kind == "tasks.plan_approved")).all()
    assert note.title.startswith(f"“{stage.name}”环节已通过：")


def test_a_question_diff_has_no_blank_line_after_each_line_and_no_leading_hunk_mark():
    from app.questions.review import diff_html

    html = str(diff_html("", "名称：甲\n题型：判断题"))
    assert "</span>\n<span" not in html  # a newline between block lines shows as a blank line in <pre>
    assert "@" not in html and html.count("<span") == 2
    assert 'class="diff-add">+名称：甲</span>' in html
    many = str(diff_html("\n".join(f"行{i}" for i in range(20)),
                         "\n".join(f"行{i}" if i not in (1, 18) else "改" for i in range(20))))
    assert many.count('class="diff-hunk">…</span>') == 1  # between the two changes, not before the first


def test_a_small_share_of_a_national_target_is_not_shown_as_0_percent(app):
    """4 of the 1,000 schools read "4 / 1,000（0%）" on the admin's home and 百千万 page."""
    from app.certification import progress
    from app.core.i18n import fmt_score

    assert progress._percent(4, 1000) == 0.4 and progress._percent(1, 10000) == 0.01
    assert progress._percent(0, 1000) == 0 and progress._percent(17, 100) == 17 and progress._percent(999, 1000) == 99
    assert fmt_score(progress._percent(4, 1000)) == "0.4"
