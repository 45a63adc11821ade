"""Content sections: targets, phases."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.certification.models import Phase, Target
from app.core.content import Item, as_date, check_keys, demo_step, section, upsert

@section("targets", order=40)
def load_targets(items: list[Item]) -> int:
    """Targets: national, or a province's (``province: 广东省``) or a school's (``school: <school key>``) own; the
    metric must mean something at that level (a school has no "schools taking part" figure)."""
    from sqlalchemy import select

    from app.certification.progress import LEVELS
    from app.extensions import db
    from app.orgs.models import School

    check_keys(items)
    changed = 0
    for item in items:
        item.require("name", "metric", "value")
        if item["metric"] not in LEVELS:
            raise item.error(f"unknown metric '{item['metric']}' (one of {', '.join(sorted(LEVELS))})")
        if not isinstance(item["value"], int) or item["value"] <= 0:
            raise item.error("'value' must be a positive whole number")
        province, school_id, level = item.get("province") or None, None, "national"
        if item.get("school"):
            if province:
                raise item.error("give 'province' or 'school', not both (a school's province is known)")
            school_id = db.session.scalar(select(School.id).where(School.key == str(item["school"])))
            if school_id is None:
                raise item.error(f"unknown school '{item['school']}' (a school key from orgs)")
            level = "school"
        elif province:
            province, level = str(province), "province"
        if level not in LEVELS[item["metric"]]:
            raise item.error(f"metric '{item['metric']}' has no figure for a {level} "
                             f"(it is counted for: {', '.join(sorted(LEVELS[item['metric']]))})")
        changed += upsert(Target, item, name=item["name"], metric=item["metric"], value=item["value"],
                          deadline=as_date(item, "deadline"), source=item.get("source") or "", province=province,
                          school_id=school_id)
    return changed


@section("phases", order=41)
def load_phases(items: list[Item]) -> int:
    check_keys(items)
    changed = 0
    for item in items:
        item.require("number", "name", "starts_on", "ends_on", "professions_total", "schools_total",
                     "teacher_trainings")
        starts, ends = as_date(item, "starts_on"), as_date(item, "ends_on")
        if ends < starts:
            raise item.error("'ends_on' is before 'starts_on'")
        changed += upsert(Phase, item, number=item["number"], name=item["name"], starts_on=starts, ends_on=ends,
                          professions_total=item["professions_total"], schools_total=item["schools_total"],
                          teacher_trainings=item["teacher_trainings"])
    return changed


@section("teacher_levels", order=42)
def load_teacher_levels(items: list[Item]) -> int:
    """Teacher levels (names and order are data; see content/teacher_levels.yaml)."""
    from app.certification.models import TeacherLevel

    check_keys(items)
    changed = 0
    for item in items:
        item.require("name", "position")
        if not isinstance(item["position"], int):
            raise item.error("'position' must be a whole number")
        changed += upsert(TeacherLevel, item, name=item["name"], position=item["position"],
                          description=item.get("description") or "")
    return changed


DEMO_PROGRAM = "demo-integrated-teacher-junior"
DEMO_COURSES = [("工学一体化课程教学实施", 1.0), ("工学一体化课程考核实施", 1.0)]
PRACTICAL_TITLE = "学习任务分析与策划"


@demo_step(80, _l("教师培训项目与证书"))
def seed_demo_program() -> str:
    """A program with the demo teacher part way (some 学时 recorded), and one issued certificate."""
    from sqlalchemy import select

    from app.auth import services as auth
    from app.auth.content import DEMO_SCHOOL
    from app.certification import services
    from app.certification.models import Certificate, TeacherLevel, TrainingProgram
    from app.courses import services as courses
    from app.courses.models import Course
    from app.extensions import db
    from app.orgs import services as orgs

    if db.session.scalar(select(TrainingProgram.id).where(TrainingProgram.key == DEMO_PROGRAM)):
        return _("已存在")
    teacher, admin = auth.find_user("teacher"), auth.find_user("admin")
    level = db.session.scalar(select(TeacherLevel).order_by(TeacherLevel.position))
    if not (teacher and admin and level):
        return _("跳过：缺少演示账号或教师等级")
    school = orgs.school_by_key(DEMO_SCHOOL)
    course_rows = []
    for title, hours in DEMO_COURSES:
        course = db.session.scalar(select(Course).where(Course.title == title, Course.kind == "training_course")) \
            or courses.create_course(title=title, kind="training_course", is_shared=True,
                                     description="《技工院校工学一体化教师培训标准（试行）》中的培训课程（演示）。")
        course_rows.append((course, hours))
    program = services.save_program(key=DEMO_PROGRAM, title="工学一体化教师培训（演示项目）", level=level,
                                    min_total_hours=2.0, courses=course_rows, practical_title=PRACTICAL_TITLE,
                                    validity_years=5, description="演示：完成两门培训课程的学时并通过实践任务评审后发证。")
    _add_demo_video(course_rows[1][0])
    services.enroll(program, teacher, actor=admin)
    services.record_credit(teacher, seconds=2700, source="offline_training", evidence="demo:签到表",
                           course_id=course_rows[0][0].id, actor=admin, note="线下集中培训（演示）")
    holder = auth.find_user("cert-demo") or auth.create_user(username="cert-demo", roles=["teacher"],
                                                              full_name="林晓青", school=school, password=None)
    services.enroll(program, holder, actor=admin)
    for course, hours in course_rows:
        services.record_credit(holder, seconds=hours * 3600, source="offline_training", evidence="demo:签到表",
                               course_id=course.id, actor=admin, note="线下集中培训（演示）")
    from app.certification.models import PracticalSubmission
    from app.core import clock

    submission = PracticalSubmission(program_id=program.id, user_id=holder.id, storage_key="demo/none",
                                     original_name="学习任务分析与策划.pdf", mime="application/pdf",
                                     submitted_at=clock.now())
    db.session.add(submission)
    db.session.flush()
    services.review_practical(submission, admin, {"analysis": 35, "design": 34, "assessment": 16}, "演示评审")
    cert = db.session.scalar(select(Certificate).where(Certificate.user_id == holder.id)) \
        or services.issue_certificate(program, holder, actor=admin)
    return _("培训项目 %(program)s；证书 %(serial)s", program=program.key, serial=cert.serial)


def _add_demo_video(course) -> None:
    """Put a published demo video into the course, so watching it (server-timed) earns 学时 there."""
    from sqlalchemy import select

    from app.courses import services as courses
    from app.extensions import db
    from app.media.models import Video

    video = db.session.scalar(select(Video).where(Video.review_state == "approved").order_by(Video.id))
    if video is not None:
        courses.add_activity(course, kind="video", title=video.title, target_id=video.id, rule={"min_percent": 90})
