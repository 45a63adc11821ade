"""Courses, enrollment (single, cohort, upload, self), unenrolment, and the CLI."""
from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select

from app.courses import services
from app.courses.models import Course, CourseCohort, Enrollment
from app.errors import ValidationError
from app.extensions import db
from tests import factories
from tests.courses import builders


def test_teacher_creates_a_class_course_and_is_its_instructor(client, login_as):
    teacher = login_as("teacher")
    response = client.form("/courses/new", {"title": "电气控制线路安装", "kind": "class_course", "term": "2026-2027-1",
                                            "profession_id": builders.profession("electrical-automation").id,
                                            "training_level_id": builders.level().id, "pass_mark": "60"},
                           token_from="/courses/new")
    assert response.status_code == 302
    course = db.session.scalar(select(Course).where(Course.title == "电气控制线路安装"))
    assert course.school_id == teacher.school_id
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.course_id == course.id))
    assert (enrollment.user_id, enrollment.role) == (teacher.id, "instructor")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "电气控制线路安装" in page and "已创建" in page
    assert "我的课程" in client.get("/courses").get_data(as_text=True)


def test_enrol_by_username_and_refuse_another_schools_student_unless_shared(client, login_as):
    teacher = login_as("teacher")
    course, _ = builders.course(teacher)
    own = factories.user("student", school_=teacher.school)
    stranger = factories.user("student")
    db.session.commit()
    url = f"/courses/{course.id}/participants/add"
    token = f"/courses/{course.id}/participants"
    assert client.form(url, {"usernames": own.username, "role": "learner"}, token_from=token).status_code == 302
    response = client.form(url, {"usernames": f"{own.username}\n{stranger.username}", "role": "learner"},
                           token_from=token)
    assert response.status_code == 200
    assert "不是本校人员" in response.get_data(as_text=True)
    assert db.session.scalar(select(Enrollment).where(Enrollment.user_id == stranger.id)) is None
    services.update_course(db.session.get(Course, course.id), is_shared=True)
    db.session.commit()
    assert client.form(url, {"usernames": stranger.username, "role": "learner"}, token_from=token).status_code == 302
    assert db.session.scalar(select(Enrollment).where(Enrollment.user_id == stranger.id)).status == "active"


def test_unenrol_keeps_the_record_and_re_enrol_reactivates_it(client, login_as):
    teacher = login_as("teacher")
    course, (student,) = builders.course(teacher, students=1)
    db.session.commit()
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == student.id))
    response = client.form(f"/courses/{course.id}/participants/{enrollment.id}/unenrol", {},
                           token_from=f"/courses/{course.id}/participants")
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(Enrollment, enrollment.id)
    assert row.status == "unenrolled" and row.unenrolled_at is not None
    assert "已退课" in client.get(f"/courses/{course.id}/participants").get_data(as_text=True)
    client.form(f"/courses/{course.id}/participants/add", {"usernames": student.username, "role": "learner"},
                token_from=f"/courses/{course.id}/participants")
    db.session.expire_all()
    rows = db.session.scalars(select(Enrollment).where(Enrollment.user_id == student.id)).all()
    assert [(r.id, r.status, r.unenrolled_at) for r in rows] == [(enrollment.id, "active", None)]


def test_enrol_a_whole_cohort(client, login_as):
    teacher = login_as("teacher")
    course, _ = builders.course(teacher)
    cohort = services.create_cohort(school=teacher.school, name="2025级汽修1班", entry_year=2025,
                                    profession=builders.profession(), training_level=builders.level())
    students = [factories.user("student", school_=teacher.school) for _ in range(3)]
    services.add_cohort_members(cohort, students)
    db.session.commit()
    response = client.form(f"/courses/{course.id}/participants/cohort", {"cohort_id": cohort.id},
                           token_from=f"/courses/{course.id}/participants")
    assert response.status_code == 302
    assert len(services.learners(db.session.get(Course, course.id))) == 3
    assert db.session.scalar(select(CourseCohort).where(CourseCohort.cohort_id == cohort.id)) is not None


def test_cohort_refuses_a_student_of_another_school(client, login_as):
    teacher = login_as("teacher")
    cohort = services.create_cohort(school=teacher.school, name="2024级电气1班", entry_year=2024)
    stranger = factories.user("student")
    db.session.commit()
    response = client.form(f"/cohorts/{cohort.id}/members", {"usernames": stranger.username},
                           token_from=f"/cohorts/{cohort.id}")
    assert response.status_code == 200 and "不是本校学生" in response.get_data(as_text=True)


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_upload_is_all_or_nothing_with_row_errors(client, login_as):
    teacher = login_as("teacher")
    course, _ = builders.course(teacher)
    good = [factories.user("student", school_=teacher.school) for _ in range(2)]
    stranger = factories.user("student")
    db.session.commit()
    url, token = f"/courses/{course.id}/participants/upload", f"/courses/{course.id}/participants"
    data = _xlsx([["用户名", "角色"], [good[0].username, "学员"], ["nobody-here", ""], [stranger.username, "学员"],
                  [good[1].username, "学员"]])
    response = client.form(url, {"file": (io.BytesIO(data), "名单.xlsx")}, token_from=token,
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "第 3 行" in page and "nobody-here" in page and "第 4 行" in page
    assert services.learners(db.session.get(Course, course.id)) == []
    csv = f"username,role\n{good[0].username},learner\n{good[1].username},\n".encode()
    response = client.form(url, {"file": (io.BytesIO(csv), "list.csv")}, token_from=token,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert {u.id for u in services.learners(db.session.get(Course, course.id))} == {u.id for u in good}


def test_a_class_list_naming_the_teacher_does_not_demote_them(client, login_as, runner):
    """A list from the school system that also names the teacher (no role column: 学员) is refused on that row;
    the instructor keeps the course. Adding by name or by script is refused the same way."""
    teacher = login_as("teacher")
    course, _ = builders.course(teacher)
    student = factories.user("student", school_=teacher.school)
    db.session.commit()
    url, token = f"/courses/{course.id}/participants/upload", f"/courses/{course.id}/participants"
    csv = f"用户名\n{student.username}\n{teacher.username}\n".encode()
    response = client.form(url, {"file": (io.BytesIO(csv), "名单.csv")}, token_from=token,
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "第 3 行" in response.get_data(as_text=True)
    assert "已在本课程中担任其他身份" in response.get_data(as_text=True)
    assert services.learners(course) == []
    add = client.form(f"/courses/{course.id}/participants/add", {"usernames": teacher.username, "role": "learner"},
                      token_from=token)
    assert add.status_code == 200
    result = runner.invoke(args=["courses", "enroll", str(course.id), teacher.username])
    assert result.exit_code != 0 and "已在本课程中担任其他身份" in result.output
    assert [e.role for c, e in services.courses_of_user(teacher) if c.id == course.id] == ["instructor"]
    assert client.get(token).status_code == 200
    # Changing a role stays possible: unenrol, then enrol again with the new role (the record is reused).
    enrollment = next(e for e in services.participants(course) if e.user_id == teacher.id)
    services.unenrol(enrollment)
    services.enrol_user(course, teacher, role="learner")
    assert enrollment.role == "learner" and enrollment.status == "active"


def test_self_enrol_with_the_key(client, login_as):
    teacher = factories.user("teacher")
    course, _ = builders.course(teacher, enrol_key="qiche2026")
    student = login_as("student", school_=teacher.school)
    db.session.commit()
    assert client.get(f"/courses/{course.id}").status_code == 302  # not enrolled: sent to the join page
    url = f"/courses/{course.id}/join"
    response = client.form(url, {"key": "wrong"}, token_from=url)
    assert response.status_code == 200 and "选课密码不正确" in response.get_data(as_text=True)
    assert client.form(url, {"key": "qiche2026"}, token_from=url).status_code == 302
    assert course.id in [c.id for c, _e in services.courses_of_user(student)]
    assert "课程进度" in client.get(f"/courses/{course.id}").get_data(as_text=True)


def test_a_teacher_entering_the_key_stays_instructor(client, login_as):
    """Self-enrolling is for joining: a current instructor (or mentor) who types the key keeps their role."""
    teacher = login_as("teacher")
    course, _ = builders.course(teacher, enrol_key="qiche2026")
    db.session.commit()
    url = f"/courses/{course.id}/join"
    response = client.form(url, {"key": "qiche2026"}, token_from=f"/courses/{course.id}")
    assert response.status_code == 200 and "你已经是本课程的成员" in response.get_data(as_text=True)
    assert [e.role for c, e in services.courses_of_user(teacher) if c.id == course.id] == ["instructor"]
    assert client.get(f"/courses/{course.id}/participants").status_code == 200


def test_self_enrol_is_closed_without_a_key(client, login_as):
    course, _ = builders.course(factories.user("teacher"))
    login_as("student")
    db.session.commit()
    assert client.get(f"/courses/{course.id}/join").status_code == 403


def test_a_student_cannot_manage_a_course(client, login_as):
    teacher = factories.user("teacher")
    course, _ = builders.course(teacher)
    student = login_as("student", school_=teacher.school)
    services.enrol_user(course, student)
    db.session.commit()
    for path in ("participants", "progress", "gradebook", "mentors", "edit"):
        assert client.get(f"/courses/{course.id}/{path}").status_code == 403


def test_cli_creates_a_course_and_enrols(runner):
    school = factories.school()
    teacher = factories.user("teacher", school_=school)
    student = factories.user("student", school_=school)
    db.session.commit()
    result = runner.invoke(args=["courses", "create", "--title", "钳工实训", "--kind", "class_course", "--school",
                                 school.key, "--profession", "auto-repair", "--teacher", teacher.username])
    assert result.exit_code == 0, result.output
    course_id = int(result.output.strip())
    result = runner.invoke(args=["courses", "enroll", str(course_id), student.username])
    assert result.exit_code == 0 and "已将 1 人加入课程" in result.output
    result = runner.invoke(args=["courses", "enroll", str(course_id), "ghost-user"])
    assert result.exit_code != 0 and "ghost-user" in result.output
    course = db.session.get(Course, course_id)
    assert [u.id for u in services.learners(course)] == [student.id]


def test_class_course_needs_a_school():
    try:
        services.create_course(title="无校课程", kind="class_course")
    except ValidationError as exc:
        assert "学校" in exc.message
    else:
        raise AssertionError("a class course without a school was accepted")


def test_course_settings_save_and_refuse_a_stale_version(client, login_as):
    teacher = login_as("teacher")
    course, _ = builders.course(teacher)
    db.session.commit()
    url = f"/courses/{course.id}/edit"
    data = {"title": "新名称", "term": "2026-2027-2", "profession_id": "0", "training_level_id": "0",
            "pass_mark": "70", "enrol_key": "k1", "version": "1"}
    response = client.form(url, data, token_from=url)
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Course, course.id)
    assert (saved.title, saved.pass_mark, saved.enrol_key, saved.version) == ("新名称", 70.0, "k1", 2)
    stale = client.form(url, {**data, "title": "旧页面提交"}, token_from=url)
    assert stale.status_code == 200
    db.session.expire_all()
    assert db.session.get(Course, course.id).title == "新名称"
    tampered = client.form(url, {**data, "version": "2x"}, token_from=url)
    assert tampered.status_code == 200 and "版本号不正确" in tampered.get_data(as_text=True)


def test_school_admin_opens_a_students_transcript_from_the_cohort(client, login_as):
    admin = login_as("school_admin")
    cohort = services.create_cohort(school=admin.school, name="2023级钳工班", entry_year=2023)
    student = factories.user("student", school_=admin.school)
    services.add_cohort_members(cohort, [student])
    db.session.commit()
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert f"/transcript/{student.id}" in page
    assert client.get(f"/transcript/{student.id}").status_code == 200


def test_class_course_taught_from_an_integrated_course_of_the_standard(client, login_as):
    teacher = login_as("teacher")
    choices = services.integrated_course_choices()
    assert choices, "the demo standard in content/ has integrated courses"
    integrated_id, label = choices[0]
    data = {"title": "汽车日常维护（2026秋）", "kind": "class_course", "profession_id": "0", "training_level_id": "0",
            "integrated_course_id": str(integrated_id), "pass_mark": "60"}
    response = client.form("/courses/new", data, token_from="/courses/new")
    assert response.status_code == 302
    course = db.session.scalar(select(Course).where(Course.title == "汽车日常维护（2026秋）"))
    assert course.integrated_course_id == integrated_id
    assert label.split("｜")[1].split(" ", 1)[1].replace("（草稿）", "") in client.get(f"/courses/{course.id}").get_data(as_text=True)
    try:
        services.update_course(course, integrated_course_id=999999)
    except ValidationError as exc:
        assert "一体化课程不存在" in exc.message
    else:
        raise AssertionError("an unknown integrated course was accepted")
    assert teacher.id


def test_wrong_enrol_keys_are_rate_limited(client, login_as):
    teacher = factories.user("teacher")
    course, _ = builders.course(teacher, enrol_key="qiche2026")
    login_as("student", school_=teacher.school)
    db.session.commit()
    url = f"/courses/{course.id}/join"
    token = client.csrf_token(url)
    codes = [client.post(url, data={"key": f"guess{n}", "csrf_token": token}).status_code for n in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
