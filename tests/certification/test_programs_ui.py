"""Program management pages: platform admins create, edit, search, publish; school admins enroll their teachers;
teachers browse published programs only."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.certification import programs as admin
from app.certification import services
from app.certification.models import CourseCredit, ProgramEnrollment, TeacherLevel, TrainingProgram
from app.courses import services as courses
from app.errors import ValidationError
from app.extensions import db
from tests import factories


@pytest.fixture
def levels(app):
    return list(db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)))


@pytest.fixture
def training_courses(app):
    made = [courses.create_course(title=f"培训课程{n}", kind="training_course", is_shared=True) for n in range(2)]
    db.session.commit()
    return made


def _program_data(levels, training_courses, **changes) -> dict:
    data = {"key": "mid-2026", "title": "中级工学一体化教师培训", "description": "面向骨干教师",
            "level_id": str(levels[1].id), "prerequisite_level_id": str(levels[0].id), "min_total_hours": "40",
            "courses-0-course_id": str(training_courses[0].id), "courses-0-min_hours": "10",
            "courses-0-credit_hours": "4",
            "courses-1-course_id": str(training_courses[1].id), "courses-1-min_hours": "6",
            "courses-1-credit_hours": "",
            "courses-2-course_id": "0", "courses-2-min_hours": "", "courses-2-credit_hours": "",
            "exam_id": "0", "exam_pass_percent": "70", "practical_title": "学习任务分析与策划",
            "practical_pass_score": "60", "validity_years": "3", "is_open": "y"}
    data.update(changes)
    return data


def test_platform_admin_creates_a_program_from_the_form(client, login_as, levels, training_courses):
    login_as("platform_admin")
    page = client.get("/training/admin/new").get_data(as_text=True)
    assert levels[1].name in page and training_courses[0].title in page
    response = client.form("/training/admin/new", _program_data(levels, training_courses),
                           token_from="/training/admin/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    program = services.program_by_key("mid-2026")
    assert program.title == "中级工学一体化教师培训" and program.level_id == levels[1].id
    assert program.prerequisite_level_id == levels[0].id and program.exam_pass_percent == 70
    assert program.validity_years == 3 and program.is_open and program.practical_title == "学习任务分析与策划"
    assert [(pc.course_id, pc.min_hours) for pc in program.courses] == [(training_courses[0].id, 10),
                                                                        (training_courses[1].id, 6)]
    assert db.session.get(CourseCredit, training_courses[0].id).hours == 4
    assert db.session.get(CourseCredit, training_courses[1].id) is None
    listing = client.get("/training/admin").get_data(as_text=True)
    assert "中级工学一体化教师培训" in listing and "mid-2026" in listing


def test_program_form_refuses_bad_input_and_writes_nothing(client, login_as, levels, training_courses):
    login_as("platform_admin")
    class_course = courses.create_course(title="汽车维修班课程", kind="class_course", school=factories.school())
    db.session.commit()
    bad = [_program_data(levels, training_courses, **{"courses-0-course_id": str(class_course.id)}),
           _program_data(levels, training_courses, prerequisite_level_id=str(levels[2].id)),
           _program_data(levels, training_courses, **{"courses-1-course_id": str(training_courses[0].id)}),
           _program_data(levels, training_courses, key="Bad Key!"),
           _program_data(levels, training_courses, exam_pass_percent="120")]
    for data in bad:
        response = client.form("/training/admin/new", data, token_from="/training/admin/new")
        assert response.status_code == 200, data
    assert db.session.scalar(select(TrainingProgram.id).where(TrainingProgram.title == "中级工学一体化教师培训")) is None
    client.form("/training/admin/new", _program_data(levels, training_courses), token_from="/training/admin/new")
    again = client.form("/training/admin/new", _program_data(levels, training_courses), token_from="/training/admin/new")
    shown = again.get_data(as_text=True)
    assert again.status_code == 200 and "已被使用" in shown
    assert 'value="中级工学一体化教师培训"' in shown  # the form comes back with what the admin typed


def test_admin_edits_a_program_and_the_key_stays(client, login_as, levels, training_courses):
    login_as("platform_admin")
    client.form("/training/admin/new", _program_data(levels, training_courses), token_from="/training/admin/new")
    program = services.program_by_key("mid-2026")
    url = f"/training/admin/{program.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="10.0"' in page and "mid-2026" in page and "中级工学一体化教师培训" in page
    data = _program_data(levels, training_courses, key="changed", title="中级培训（修订）", min_total_hours="48",
                         **{"courses-1-course_id": "0", "courses-0-credit_hours": "5"})
    del data["is_open"]
    assert client.form(url, data, token_from=url).status_code == 302
    db.session.expire_all()
    program = db.session.get(TrainingProgram, program.id)
    assert program.key == "mid-2026" and program.title == "中级培训（修订）" and program.min_total_hours == 48
    assert [pc.course_id for pc in program.courses] == [training_courses[0].id] and not program.is_open
    assert db.session.get(CourseCredit, training_courses[0].id).hours == 5


def test_search_and_filters(client, login_as, levels):
    login_as("platform_admin")
    services.save_program(key="a-weld", title="焊接专业师资培训", level=levels[0])
    hidden = services.save_program(key="b-auto", title="汽修专业师资培训", level=levels[1])
    hidden.is_open = False
    db.session.commit()
    found = client.get("/training/admin?q=焊接").get_data(as_text=True)
    assert "焊接专业师资培训" in found and "汽修专业师资培训" not in found
    closed = client.get("/training/admin?state=closed").get_data(as_text=True)
    assert "汽修专业师资培训" in closed and "焊接专业师资培训" not in closed
    by_level = client.get(f"/training/admin?level={levels[1].id}").get_data(as_text=True)
    assert "汽修专业师资培训" in by_level and "焊接专业师资培训" not in by_level


def test_publish_and_unpublish_decide_what_teachers_see(client, login_as, levels, app):
    program = services.save_program(key="pub-1", title="可发布的项目", level=levels[0])
    db.session.commit()
    admin_client = app.test_client()
    login_as("platform_admin", client_=admin_client)
    response = admin_client.form(f"/training/admin/{program.id}/unpublish?next=/training/admin%3Fq%3D发布", {},
                                 token_from="/training/admin")
    assert response.status_code == 302 and response.headers["Location"].startswith("/training/admin?q=")
    login_as("teacher")
    assert "可发布的项目" not in client.get("/training").get_data(as_text=True)
    assert client.form(f"/training/{program.id}/enroll", {"profession_id": "0"},
                       token_from="/training").status_code == 403
    response = admin_client.form(f"/training/admin/{program.id}/publish?next=https://evil.example/", {},
                                 token_from="/training/admin")
    assert response.headers["Location"] == "/training/admin"  # never off-site
    assert "可发布的项目" in client.get("/training").get_data(as_text=True)
    assert client.form(f"/training/{program.id}/enroll", {"profession_id": "0"},
                       token_from="/training").status_code == 302


def test_unpublished_program_stays_listed_for_a_teacher_already_enrolled(client, login_as, levels):
    teacher = login_as("teacher")
    program = services.save_program(key="pub-2", title="已报名后下架", level=levels[0])
    services.enroll(program, teacher)
    admin.set_program_open(program, False)
    db.session.commit()
    page = client.get("/training").get_data(as_text=True)
    assert "已报名后下架" in page and "未发布" in page


@pytest.mark.parametrize("role", ["teacher", "school_admin", "reviewer"])
def test_admin_pages_are_forbidden_to_others(client, login_as, levels, role):
    program = services.save_program(key=f"forbid-{role}", title="禁止修改", level=levels[0])
    db.session.commit()
    login_as(role)
    assert client.get("/training/admin").status_code == 403
    assert client.get("/training/admin/new").status_code == 403
    assert client.get(f"/training/admin/{program.id}/edit").status_code == 403
    assert client.form(f"/training/admin/{program.id}/unpublish", {}, token_from="/training").status_code == 403
    assert client.form("/training/admin/new", {"key": "x-1", "title": "x"}, token_from="/training").status_code == 403
    db.session.expire_all()
    assert db.session.get(TrainingProgram, program.id).is_open


def test_publish_needs_csrf(client, login_as, levels):
    program = services.save_program(key="csrf-1", title="要令牌", level=levels[0])
    db.session.commit()
    login_as("platform_admin")
    assert client.post(f"/training/admin/{program.id}/unpublish").status_code == 400
    db.session.expire_all()
    assert db.session.get(TrainingProgram, program.id).is_open


def test_school_admin_enrolls_several_of_their_own_teachers_only(client, login_as, levels, training_courses):
    school_admin = login_as("school_admin")
    mine = [factories.user("teacher", school_=school_admin.school) for _n in range(3)]
    stranger = factories.user("teacher")
    program = services.save_program(key="enroll-1", title="批量报名", level=levels[0],
                                    courses=[(training_courses[0], 2)])
    db.session.commit()
    url = f"/training/{program.id}/enroll-teachers"
    page = client.get(url).get_data(as_text=True)
    assert all(t.username in page for t in mine) and stranger.username not in page
    response = client.form(url, {"teacher_ids": [str(mine[0].id), str(mine[1].id)]}, token_from=url)
    assert response.status_code == 302
    enrolled = set(db.session.scalars(select(ProgramEnrollment.user_id).where(ProgramEnrollment.program_id == program.id)))
    assert enrolled == {mine[0].id, mine[1].id}
    # a teacher of another school is not among the choices: the form is refused and nobody is enrolled
    client.form(url, {"teacher_ids": [str(stranger.id), str(mine[2].id)]}, token_from=url)
    enrolled = set(db.session.scalars(select(ProgramEnrollment.user_id).where(ProgramEnrollment.program_id == program.id)))
    assert stranger.id not in enrolled and mine[2].id not in enrolled


def test_teacher_cannot_enroll_others(client, login_as, levels):
    program = services.save_program(key="enroll-2", title="教师不可代报", level=levels[0])
    db.session.commit()
    login_as("teacher")
    assert client.get(f"/training/{program.id}/enroll-teachers").status_code == 403


def test_admin_list_statement_count_stays_constant(client, login_as, levels, training_courses, count_queries):
    login_as("platform_admin")

    def add(n):
        for i in range(n):
            program = services.save_program(key=f"many-{n}-{i}", title=f"项目{n}-{i}", level=levels[i % 2],
                                            courses=[(training_courses[0], 1), (training_courses[1], 1)])
            services.enroll(program, factories.user("teacher"))
        db.session.commit()

    add(2)
    client.get("/training/admin")
    with count_queries() as few:
        assert client.get("/training/admin").status_code == 200
    add(8)
    with count_queries() as many:
        assert client.get("/training/admin").status_code == 200
    assert many.count == few.count


def test_browse_page_statement_count_stays_constant(client, login_as, levels, training_courses, count_queries):
    login_as("teacher")

    def add(n):
        for i in range(n):
            services.save_program(key=f"browse-{n}-{i}", title=f"浏览{n}-{i}", level=levels[i % 2],
                                  courses=[(training_courses[0], 1)])
        db.session.commit()

    add(2)
    client.get("/training")
    with count_queries() as few:
        client.get("/training")
    add(6)
    with count_queries() as many:
        client.get("/training")
    assert many.count == few.count


def test_an_unpublished_program_is_hidden_from_teachers_and_closed_to_enrollment(client, login_as, levels, app):
    program = services.save_program(key="hidden-1", title="未发布项目", level=levels[0])
    program.is_open = False
    db.session.commit()
    login_as("teacher")
    assert client.get(f"/training/{program.id}").status_code == 404
    school_admin = app.test_client()
    login_as("school_admin", client_=school_admin)
    url = f"/training/{program.id}/enroll-teachers"
    assert school_admin.get(url).status_code == 400
    platform = app.test_client()
    login_as("platform_admin", client_=platform)
    page = platform.get(f"/training/{program.id}").get_data(as_text=True)
    assert "编辑培训项目" in page and "未发布" in page


def test_course_credit_above_one_ledger_line_is_refused(client, login_as, levels, training_courses):
    login_as("platform_admin")
    data = _program_data(levels, training_courses, **{"courses-0-credit_hours": "30"})
    assert client.form("/training/admin/new", data, token_from="/training/admin/new").status_code == 200
    with pytest.raises(ValidationError):
        admin.set_course_credit(training_courses[0].id, 25)


def test_a_course_added_later_enrolls_the_programs_teachers_in_it(client, login_as, levels, training_courses):
    from app.courses.models import Enrollment

    login_as("platform_admin")
    client.form("/training/admin/new", _program_data(levels, training_courses, **{"courses-1-course_id": "0"}),
                token_from="/training/admin/new")
    program = services.program_by_key("mid-2026")
    teacher = factories.user("teacher")
    services.enroll(program, teacher)
    db.session.commit()
    url = f"/training/admin/{program.id}/edit"
    assert client.form(url, _program_data(levels, training_courses), token_from=url).status_code == 302
    learners = set(db.session.scalars(select(Enrollment.course_id).where(Enrollment.user_id == teacher.id)))
    assert learners == {training_courses[0].id, training_courses[1].id}


def test_final_exam_is_chosen_among_platform_exams(client, login_as, levels, training_courses):
    from app.exams import services as exams
    from tests.exams import builders

    login_as("platform_admin")
    bank = builders.bank()

    def exam(title, **fields):
        paper = exams.create_paper(title=f"{title}试卷")
        exams.add_paper_question(paper, builders.question(bank), 5)
        return exams.create_exam(paper=paper, title=title, **fields)

    final = exam("工学一体化教师结业考试")
    school_exam = exam("某校期中考试", school_id=factories.school().id)
    db.session.commit()
    page = client.get("/training/admin/new").get_data(as_text=True)
    assert "工学一体化教师结业考试" in page and "某校期中考试" not in page
    data = _program_data(levels, training_courses, exam_id=str(final.id))
    assert client.form("/training/admin/new", data, token_from="/training/admin/new").status_code == 302
    program = services.program_by_key("mid-2026")
    assert program.exam_id == final.id and program.exam_pass_percent == 70
    edit = client.get(f"/training/admin/{program.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{final.id}">' in edit
    forged = _program_data(levels, training_courses, key="other-1", exam_id=str(school_exam.id))
    assert client.form("/training/admin/new", forged, token_from="/training/admin/new").status_code == 200
