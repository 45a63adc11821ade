"""Courses, cohorts, enrollments, mentor pairing and activities. Services flush; the caller commits."""
from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import defaultload, lazyload

from app.auth.models import Role, User
from app.catalog.models import Profession
from app.core import clock
from app.core.database import lock_row
from app.core.i18n import by_pinyin
from app.core.signals import evaluation_requested, results_changed
from app.core.tabular import missing_columns, pick, read_table
from app import DOMAINS
from app.courses.activities import KINDS, Completion, get_kind, load_kinds
from app.courses.models import (Activity, ActivityCompletion, Cohort, CohortMember, Course, CourseCohort,
                                CourseKind, Enrollment, EnrollmentRole, EnrollmentStatus, MentorAssignment)
from app.errors import Conflict, NotFound, ValidationError, get_or_raise
from app.extensions import db

# Built-in kinds and the adapters of installed domains (tasks registers its own kind from its package).
load_kinds(DOMAINS)

ACTIVE = EnrollmentStatus.active.value
LEARNER = EnrollmentRole.learner.value

#: Header aliases of an enrollment list upload.
UPLOAD_COLUMNS = {"username": ("username", "用户名", "账号", "学号"), "role": ("role", "角色")}
ROLE_ALIASES = {"learner": "learner", "学员": "learner", "学生": "learner", "instructor": "instructor",
                "教师": "instructor", "授课教师": "instructor", "mentor": "mentor", "导师": "mentor",
                "企业导师": "mentor", "": "learner"}


# --- courses -------------------------------------------------------------------------------------------

def get_course(course_id: int) -> Course:
    # The profession's levels are not needed on course pages: load them only if something asks.
    course = db.session.scalar(select(Course).where(Course.id == course_id).options(
        defaultload(Course.profession).lazyload(Profession.levels)))
    if course is None:
        raise NotFound(_("课程不存在。"))
    return course


def _check_kind(kind: str) -> str:
    if kind not in CourseKind.__members__:
        raise ValidationError(_("未知课程类型：%(kind)s", kind=kind))
    return kind


def create_course(*, title: str, kind: str, school=None, profession=None, training_level=None, term: str = "",
                  teachers: Sequence[User] = (), integrated_course_id: int | None = None, is_shared: bool = False,
                  enrol_key: str | None = None, pass_mark: float = 60.0, description: str = "") -> Course:
    """Open a course; the given teachers become its instructors."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("请填写课程名称。"))
    _check_kind(kind)
    if kind == CourseKind.class_course.value and school is None:
        raise ValidationError(_("班级课程必须属于一所学校。"))
    _check_pass_mark(pass_mark)
    course = Course(title=title[:200], kind=kind, school_id=school.id if school else None,
                    profession_id=profession.id if profession else None,
                    training_level_id=training_level.id if training_level else None, term=(term or "").strip(),
                    integrated_course_id=_check_integrated_course(integrated_course_id), is_shared=bool(is_shared),
                    enrol_key=(enrol_key or "").strip() or None, pass_mark=float(pass_mark),
                    description=description or "")
    db.session.add(course)
    db.session.flush()
    for teacher in teachers:
        enrol_user(course, teacher, role=EnrollmentRole.instructor.value, method="manual")
    return course


def integrated_course_choices() -> list[tuple[int, str]]:
    """(id, label) of the integrated courses of every course standard: from its current (published) version,
    or, while none is published yet, from its newest version, marked as a draft. Two queries."""
    from app.catalog.models import TrainingLevel
    from app.standards.models import CourseStandard, IntegratedCourse, StandardVersion

    newest = select(StandardVersion.standard_id, func.max(StandardVersion.id).label("newest")).group_by(
        StandardVersion.standard_id).subquery()
    picked = {}
    for standard_id, current, latest in db.session.execute(
            select(CourseStandard.id, CourseStandard.current_version_id, newest.c.newest).join(
                newest, newest.c.standard_id == CourseStandard.id)):
        picked[current or latest] = current is None
    if not picked:
        return []
    rows = db.session.execute(
        select(IntegratedCourse.id, IntegratedCourse.version_id, IntegratedCourse.code, IntegratedCourse.name,
               Profession.name, TrainingLevel.name)
        .join(StandardVersion, StandardVersion.id == IntegratedCourse.version_id)
        .join(CourseStandard, CourseStandard.id == StandardVersion.standard_id)
        .join(Profession, Profession.id == CourseStandard.profession_id)
        .join(TrainingLevel, TrainingLevel.id == CourseStandard.training_level_id)
        .where(IntegratedCourse.version_id.in_(list(picked)))
        .order_by(Profession.name, TrainingLevel.position, IntegratedCourse.position))
    draft = _("（草稿）")
    # Professions by pinyin; within one, the SQL order (level, course position) stays (the sort is stable).
    return [(cid, f"{prof}·{level}｜{code} {name}{draft if picked[version_id] else ''}")
            for cid, version_id, code, name, prof, level in by_pinyin(rows, key=lambda row: row[4])]


def _check_integrated_course(course_id: int | None) -> int | None:
    from app.standards.models import IntegratedCourse

    if course_id and db.session.get(IntegratedCourse, course_id) is None:
        raise ValidationError(_("所选的一体化课程不存在。"))
    return course_id or None


def _check_pass_mark(pass_mark) -> None:
    if pass_mark is None or not 0 <= float(pass_mark) <= 100:
        raise ValidationError(_("及格线必须在 0 到 100 之间。"))


def update_course(course: Course, *, expected_version: int | None = None, **fields) -> Course:
    """Edit title, term, description, enrol key, shared flag and pass mark (optimistic lock on version)."""
    lock_row(course, "version")
    if expected_version is not None and expected_version != course.version:
        raise Conflict(_("课程设置已被其他人修改，请刷新后重试。"))
    if "title" in fields and not (fields["title"] or "").strip():
        raise ValidationError(_("请填写课程名称。"))
    if "pass_mark" in fields:
        _check_pass_mark(fields["pass_mark"])
    if "enrol_key" in fields:
        fields["enrol_key"] = (fields["enrol_key"] or "").strip() or None
    if "integrated_course_id" in fields:
        fields["integrated_course_id"] = _check_integrated_course(fields["integrated_course_id"])
    for name, value in fields.items():
        setattr(course, name, value)
    course.version += 1
    db.session.flush()
    return course


def courses_of_user(user: User) -> list[tuple[Course, Enrollment]]:
    """The user's active enrollments with their courses, newest first."""
    rows = db.session.execute(select(Course, Enrollment).join(Enrollment, Enrollment.course_id == Course.id).where(
        Enrollment.user_id == user.id, Enrollment.status == ACTIVE).order_by(Course.id.desc()))
    return [(c, e) for c, e in rows]


def progress_of_user(user: User, course_ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """{course_id: (done, total, percent)} of one learner over several courses: one query for the activities,
    then one batch per activity kind — not per course."""
    if not course_ids:
        return {}
    acts = list(db.session.scalars(select(Activity).where(Activity.course_id.in_(list(course_ids)))))
    matrix = completion_matrix(acts, [user.id])
    by_course: dict[int, list[Activity]] = {cid: [] for cid in course_ids}
    for activity in acts:
        by_course[activity.course_id].append(activity)
    return {cid: progress_summary(course_acts, matrix, user.id) for cid, course_acts in by_course.items()}


def courses_of_school(school_id: int):
    """A select over the courses of a school (paginate it)."""
    return select(Course).where(Course.school_id == school_id).order_by(Course.id.desc())


def all_courses():
    return select(Course).order_by(Course.id.desc())


# --- enrollments -------------------------------------------------------------------------------------------

def _check_can_join(course: Course, user: User, role: str) -> None:
    """Bad input refused: other schools' users in a non-shared course; roles that do not fit the person."""
    if role not in EnrollmentRole.__members__:
        raise ValidationError(_("未知的课程角色：%(role)s", role=role))
    if role == EnrollmentRole.mentor.value:
        if not user.has_role(Role.mentor):
            raise ValidationError(_("%(name)s 不是企业导师，不能以导师身份加入。", name=user.display_name))
        return
    if role == EnrollmentRole.instructor.value and not user.has_role(Role.teacher, Role.school_admin,
                                                                     Role.platform_admin):
        raise ValidationError(_("%(name)s 不是教师，不能担任授课教师。", name=user.display_name))
    if course.school_id is not None and not course.is_shared and user.school_id != course.school_id \
            and not user.has_role(Role.platform_admin):
        raise ValidationError(_("%(name)s 不是本校人员；只有共享课程才能选入其他学校的人员。", name=user.display_name))


def _check_role_kept(enrollment: Enrollment | None, user: User, role: str) -> None:
    """An active member keeps their role: a class list that also names the teacher (role column empty, so
    学员) must not silently turn the course's instructor into a learner. Changing a role is unenrol, then enrol."""
    if enrollment is not None and enrollment.status == ACTIVE and enrollment.role != role:
        raise ValidationError(_("%(name)s 已在本课程中担任其他身份；如需改变身份，请先退课再重新选入。",
                                name=user.display_name))


def enrol_user(course: Course, user: User, *, role: str = LEARNER, method: str = "manual",
               existing: dict[int, Enrollment] | None = None) -> Enrollment:
    """Enrol a user, or reactivate their earlier enrollment (its history and grades stay)."""
    _check_can_join(course, user, role)
    if existing is not None:
        enrollment = existing.get(user.id)
    else:
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.course_id == course.id,
                                                                Enrollment.user_id == user.id))
    _check_role_kept(enrollment, user, role)
    if enrollment is None:
        enrollment = Enrollment(course_id=course.id, user_id=user.id, role=role, method=method)
        db.session.add(enrollment)
        if existing is not None:
            existing[user.id] = enrollment
    else:
        enrollment.role, enrollment.status, enrollment.unenrolled_at = role, ACTIVE, None
    db.session.flush()
    if existing is None and role == LEARNER:
        _announce_learners(course, [user.id])
    return enrollment


def enrol_users(course: Course, users: Iterable[User], *, role: str = LEARNER, method: str = "manual") -> int:
    """Enrol many users at once (all checked first: one refusal enrols nobody). Returns how many."""
    users = list(users)
    for user in users:
        _check_can_join(course, user, role)
    existing = {e.user_id: e for e in db.session.scalars(select(Enrollment).where(
        Enrollment.course_id == course.id, Enrollment.user_id.in_([u.id for u in users])))}
    for user in users:
        _check_role_kept(existing.get(user.id), user, role)
    for user in users:
        enrol_user(course, user, role=role, method=method, existing=existing)
    if role == LEARNER:
        _announce_learners(course, [u.id for u in users])
    return len(users)


def users_by_username(usernames: Iterable[str]) -> list[User]:
    """Users for the given names; a ValidationError names every unknown one."""
    names = [n.strip().lower() for n in usernames if n and n.strip()]
    if not names:
        raise ValidationError(_("请至少填写一个用户名。"))
    found = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))}
    unknown = [n for n in names if n not in found]
    if unknown:
        raise ValidationError(_("找不到这些用户：%(names)s", names="、".join(unknown)))
    return [found[n] for n in dict.fromkeys(names)]


def unenrol(enrollment: Enrollment) -> Enrollment:
    """Mark the enrollment unenrolled; the record and its grades stay, re-enrolling reactivates it."""
    if enrollment.status != ACTIVE:
        raise ValidationError(_("该成员已退课。"))
    enrollment.status = EnrollmentStatus.unenrolled.value
    enrollment.unenrolled_at = clock.now()
    db.session.flush()
    return enrollment


def get_enrollment(course: Course, enrollment_id: int) -> Enrollment:
    return get_or_raise(Enrollment, enrollment_id, _("选课记录不存在。"), belongs_to={"course_id": course.id})


def enrol_cohort(course: Course, cohort: Cohort) -> int:
    """Enrol every student of a cohort as learners and remember the cohort on the course."""
    members = [m.user for m in db.session.scalars(select(CohortMember).where(CohortMember.cohort_id == cohort.id))]
    if not members:
        raise ValidationError(_("班级“%(name)s”还没有学生。", name=cohort.name))
    count = enrol_users(course, members, role=LEARNER, method="cohort")
    if db.session.scalar(select(CourseCohort.id).where(CourseCohort.course_id == course.id,
                                                       CourseCohort.cohort_id == cohort.id)) is None:
        db.session.add(CourseCohort(course_id=course.id, cohort_id=cohort.id))
        db.session.flush()
    return count


def enrol_from_table(course: Course, filename: str, data: bytes) -> int:
    """Enrol everyone listed in a CSV/XLSX (columns 用户名, optional 角色). All or nothing: any bad row
    raises a ValidationError whose ``details`` list every row's problem, and nobody is enrolled."""
    table = read_table(filename, data)
    missing = missing_columns(table.headers, UPLOAD_COLUMNS, ("username",))
    if missing:
        raise ValidationError(_("缺少“用户名”列。"))
    names = {pick(row, UPLOAD_COLUMNS, "username").lower() for _n, row in table.rows}
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))}
    current = {e.user_id: e for e in db.session.scalars(select(Enrollment).where(
        Enrollment.course_id == course.id, Enrollment.user_id.in_([u.id for u in users.values()])))}
    errors, plan = [], []
    for number, row in table.rows:
        name = pick(row, UPLOAD_COLUMNS, "username").lower()
        role = ROLE_ALIASES.get(pick(row, UPLOAD_COLUMNS, "role").strip().lower())
        user = users.get(name)
        if not name:
            errors.append({"row": number, "message": _("用户名为空。")})
        elif user is None:
            errors.append({"row": number, "message": _("找不到用户 %(name)s。", name=name)})
        elif role is None:
            errors.append({"row": number, "message": _("未知角色：%(role)s", role=pick(row, UPLOAD_COLUMNS, "role"))})
        else:
            try:
                _check_can_join(course, user, role)
                _check_role_kept(current.get(user.id), user, role)
                plan.append((user, role))
            except ValidationError as exc:
                errors.append({"row": number, "message": exc.message})
    if not table.rows:
        raise ValidationError(_("文件中没有数据行。"))
    if errors:
        raise ValidationError(_("名单有 %(n)s 行错误，未选入任何人。", n=len(errors)), details=errors)
    existing = {e.user_id: e for e in db.session.scalars(select(Enrollment).where(Enrollment.course_id == course.id))}
    for user, role in plan:
        enrol_user(course, user, role=role, method="upload", existing=existing)
    return len(plan)


def self_enrol(course: Course, user: User, key: str) -> Enrollment:
    """Join a course with its enrol key (constant-time comparison). A current member is refused: joining would
    turn an instructor's or mentor's enrollment into a learner's."""
    if not course.enrol_key:
        raise ValidationError(_("该课程未开放自助选课。"))
    if db.session.scalar(select(Enrollment.id).where(Enrollment.course_id == course.id, Enrollment.user_id == user.id,
                                                     Enrollment.status == ACTIVE)) is not None:
        raise Conflict(_("你已经是本课程的成员，无需再用选课密码加入。"))
    if not hmac.compare_digest((key or "").strip().encode(), course.enrol_key.encode()):
        raise ValidationError(_("选课密码不正确。"))
    return enrol_user(course, user, role=LEARNER, method="self")


def participants(course: Course, *, include_unenrolled: bool = True) -> list[Enrollment]:
    stmt = select(Enrollment).where(Enrollment.course_id == course.id)
    if not include_unenrolled:
        stmt = stmt.where(Enrollment.status == ACTIVE)
    return list(db.session.scalars(stmt.join(User, User.id == Enrollment.user_id).order_by(
        Enrollment.status, Enrollment.role, User.username)))


def learners(course: Course) -> list[User]:
    """Active learners of the course, by username (one query; roles are loaded only if asked for)."""
    return list(db.session.scalars(select(User).options(lazyload(User.roles)).join(Enrollment, Enrollment.user_id == User.id).where(
        Enrollment.course_id == course.id, Enrollment.role == LEARNER, Enrollment.status == ACTIVE).order_by(
        User.username)))


def count_learners(course: Course) -> int:
    return db.session.scalar(select(func.count()).select_from(Enrollment).where(
        Enrollment.course_id == course.id, Enrollment.role == LEARNER, Enrollment.status == ACTIVE))


# --- cohorts -------------------------------------------------------------------------------------------------

def get_cohort(cohort_id: int) -> Cohort:
    return get_or_raise(Cohort, cohort_id, _("班级不存在。"))


def create_cohort(*, school, name: str, entry_year: int, profession=None, training_level=None) -> Cohort:
    """Create a 班级 of a school; the name is unique within the school."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写班级名称。"))
    if not entry_year or not 1990 <= int(entry_year) <= 2100:
        raise ValidationError(_("入学年份不正确。"))
    if db.session.scalar(select(Cohort.id).where(Cohort.school_id == school.id, Cohort.name == name)):
        raise ValidationError(_("本校已有名为“%(name)s”的班级。", name=name))
    cohort = Cohort(school_id=school.id, name=name[:100], entry_year=int(entry_year),
                    profession_id=profession.id if profession else None,
                    training_level_id=training_level.id if training_level else None)
    db.session.add(cohort)
    db.session.flush()
    return cohort


def add_cohort_members(cohort: Cohort, users: Sequence[User]) -> int:
    """Add students of the cohort's school (others are refused, nobody is added). Returns how many were new."""
    for user in users:
        if user.school_id != cohort.school_id:
            raise ValidationError(_("%(name)s 不是本校学生，不能加入本校班级。", name=user.display_name))
        if not user.has_role(Role.student):
            raise ValidationError(_("%(name)s 不是学生。", name=user.display_name))
    present = set(db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)))
    new = [u for u in users if u.id not in present]
    db.session.add_all(CohortMember(cohort_id=cohort.id, user_id=u.id) for u in new)
    db.session.flush()
    return len(new)


def remove_cohort_member(cohort: Cohort, user_id: int) -> None:
    member = db.session.scalar(select(CohortMember).where(CohortMember.cohort_id == cohort.id,
                                                          CohortMember.user_id == user_id))
    if member is None:
        raise NotFound(_("该学生不在本班级。"))
    db.session.delete(member)
    db.session.flush()


def cohort_members(cohort: Cohort) -> list[User]:
    return list(db.session.scalars(select(User).join(CohortMember, CohortMember.user_id == User.id).where(
        CohortMember.cohort_id == cohort.id).order_by(User.username)))


def cohorts_of_school(school_id: int | None):
    """A select over cohorts (of one school, or all for platform admins), newest entry year first."""
    stmt = select(Cohort).order_by(Cohort.entry_year.desc(), Cohort.name)
    if school_id is not None:
        stmt = stmt.where(Cohort.school_id == school_id)
    return stmt


def member_counts(cohort_ids: Sequence[int]) -> dict[int, int]:
    """{cohort_id: number of students} in one query."""
    if not cohort_ids:
        return {}
    rows = db.session.execute(select(CohortMember.cohort_id, func.count(CohortMember.id)).where(
        CohortMember.cohort_id.in_(list(cohort_ids))).group_by(CohortMember.cohort_id))
    return {cohort_id: count for cohort_id, count in rows}


def courses_of_cohort(cohort: Cohort) -> list[Course]:
    return list(db.session.scalars(select(Course).join(CourseCohort, CourseCohort.course_id == Course.id).where(
        CourseCohort.cohort_id == cohort.id).order_by(Course.id)))


# --- mentor pairing (拜师) --------------------------------------------------------------------------------------

def assign_mentor(course: Course, student: User, mentor: User) -> MentorAssignment:
    """Pair a learner of a class course with an enterprise mentor (who is enrolled as mentor if not yet)."""
    if course.kind != CourseKind.class_course.value:
        raise ValidationError(_("只有班级课程可以拜师结对。"))
    if not mentor.has_role(Role.mentor):
        raise ValidationError(_("%(name)s 不是企业导师。", name=mentor.display_name))
    learner = db.session.scalar(select(Enrollment).where(Enrollment.course_id == course.id,
                                                         Enrollment.user_id == student.id))
    if learner is None or learner.status != ACTIVE or learner.role != LEARNER:
        raise ValidationError(_("%(name)s 不是本课程的学员。", name=student.display_name))
    existing = db.session.scalar(select(MentorAssignment).where(
        MentorAssignment.course_id == course.id, MentorAssignment.student_id == student.id,
        MentorAssignment.mentor_id == mentor.id))
    if existing is not None:
        raise ValidationError(_("%(student)s 已拜 %(mentor)s 为师。", student=student.display_name,
                                mentor=mentor.display_name))
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.course_id == course.id,
                                                            Enrollment.user_id == mentor.id))
    if enrollment is None or enrollment.status != ACTIVE:
        enrol_user(course, mentor, role=EnrollmentRole.mentor.value)
    elif enrollment.role != EnrollmentRole.mentor.value:
        raise ValidationError(_("%(name)s 在本课程中不是导师身份。", name=mentor.display_name))
    assignment = MentorAssignment(course_id=course.id, student_id=student.id, mentor_id=mentor.id)
    db.session.add(assignment)
    db.session.flush()
    evaluation_requested.send("courses", course_id=course.id, party="mentor", reviewer_ids=[mentor.id],
                              title=course.title, student_id=student.id)
    return assignment


def remove_mentor_assignment(course: Course, assignment_id: int) -> None:
    assignment = get_or_raise(MentorAssignment, assignment_id, _("结对记录不存在。"),
                              belongs_to={"course_id": course.id})
    db.session.delete(assignment)
    db.session.flush()


def mentor_assignments(course: Course) -> list[MentorAssignment]:
    return list(db.session.scalars(select(MentorAssignment).where(MentorAssignment.course_id == course.id)
                                   .order_by(MentorAssignment.student_id, MentorAssignment.id)))


def students_without_mentor(course: Course) -> list[User]:
    """Active learners of the course with no mentor assigned (one query)."""
    paired = select(MentorAssignment.student_id).where(MentorAssignment.course_id == course.id)
    return list(db.session.scalars(select(User).join(Enrollment, Enrollment.user_id == User.id).where(
        Enrollment.course_id == course.id, Enrollment.role == LEARNER, Enrollment.status == ACTIVE,
        User.id.not_in(paired)).order_by(User.username)))


def mentees(course: Course, mentor: User) -> list[User]:
    """The learners assigned to this mentor in the course — all a mentor may see."""
    return list(db.session.scalars(select(User).join(MentorAssignment, MentorAssignment.student_id == User.id).where(
        MentorAssignment.course_id == course.id, MentorAssignment.mentor_id == mentor.id).order_by(User.username)))


def available_mentors(course: Course) -> list[User]:
    """Mentors who may be paired: enterprise mentors (the platform does not limit pairing to partners)."""
    from app.auth.models import UserRole

    return list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == Role.mentor.value, User.is_active.is_(True)).order_by(User.username).limit(500)))


# --- activities ----------------------------------------------------------------------------------------------

def activities(course: Course) -> list[Activity]:
    return list(db.session.scalars(select(Activity).where(Activity.course_id == course.id).order_by(
        Activity.position, Activity.id)))


def get_activity(course: Course, activity_id: int) -> Activity:
    return get_or_raise(Activity, activity_id, _("活动不存在。"), belongs_to={"course_id": course.id})


def add_activity(course: Course, *, kind: str, title: str, target_id: int | None = None, body: str = "",
                 url: str | None = None, rule: dict | None = None) -> Activity:
    """Append an activity of a registered kind at the end of the course."""
    handler = get_kind(kind)
    if handler is None:
        raise ValidationError(_("未知的活动类型：%(kind)s", kind=kind))
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("请填写活动标题。"))
    rule = handler.validate(target_id=target_id, rule=rule or {}, body=body, url=url)
    # The object must be one this course may use (its school's exams, published workbooks ...): another school's
    # exam by id would otherwise hand this course's learners a grant to it.
    if handler.needs_target and target_id not in {tid for tid, _label in handler.targets(course)}:
        raise ValidationError(_("所选对象不在本课程可用的范围内，请从列表中选择。"))
    position = (db.session.scalar(select(func.max(Activity.position)).where(Activity.course_id == course.id)) or 0) + 1
    activity = Activity(course_id=course.id, kind=kind, title=title[:200], target_id=target_id, body=body or "",
                        url=url or None, rule=rule, position=position)
    db.session.add(activity)
    db.session.flush()
    learner_ids = [u.id for u in learners(course)]
    if learner_ids:
        handler.on_learners(activity, learner_ids)
    return activity


def _announce_learners(course: Course, user_ids: list[int]) -> None:
    """Let each activity kind prepare access for new learners (e.g. exam grants), one batch per activity."""
    if not user_ids:
        return
    for activity in activities(course):
        handler = get_kind(activity.kind)
        if handler is not None:
            handler.on_learners(activity, user_ids)


def move_activity(course: Course, activity: Activity, offset: int) -> None:
    """Move an activity up (-1) or down (+1); positions are renumbered 1..n."""
    items = activities(course)
    index = items.index(activity)
    target = index + offset
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    for position, item in enumerate(items, start=1):
        item.position = position
    db.session.flush()


def delete_activity(course: Course, activity: Activity) -> None:
    db.session.delete(activity)
    db.session.flush()
    for position, item in enumerate(activities(course), start=1):
        item.position = position
    db.session.flush()


def set_marks(activity: Activity, user_ids: Iterable[int], *, done: bool, by: User) -> int:
    """Set or clear completion marks of a manual/page activity for some users. Returns how many changed."""
    ids = set(user_ids)
    present = {m.user_id: m for m in db.session.scalars(select(ActivityCompletion).where(
        ActivityCompletion.activity_id == activity.id, ActivityCompletion.user_id.in_(ids)))} if ids else {}
    changed = 0
    for uid in ids:
        if done and uid not in present:
            db.session.add(ActivityCompletion(activity_id=activity.id, user_id=uid, marked_by_id=by.id))
            changed += 1
        elif not done and uid in present:
            db.session.delete(present[uid])
            changed += 1
    db.session.flush()
    if changed and done:
        # a mark may complete the course: later domains (certification's course-completion 学时) react
        results_changed.send("activity", target_id=activity.id, user_ids=sorted(ids - set(present)))
    return changed


def completion_matrix(acts: Sequence[Activity], user_ids: Sequence[int]) -> dict[int, dict[int, Completion]]:
    """{activity_id: {user_id: Completion}} — one batched call per activity KIND, never per learner."""
    by_kind: dict[str, list[Activity]] = {}
    for activity in acts:
        by_kind.setdefault(activity.kind, []).append(activity)
    out = {a.id: {} for a in acts}
    ids = list(user_ids)
    for kind, group in by_kind.items():
        handler = KINDS.get(kind)
        if handler is not None:
            out.update(handler.completion_for_many(group, ids))
    return out


def progress_summary(acts: Sequence[Activity], matrix, user_id: int) -> tuple[int, int, int]:
    """(done, total, percent) of one learner over the course's activities."""
    total = len(acts)
    done = sum(1 for a in acts if (c := matrix.get(a.id, {}).get(user_id)) is not None and c.done)
    return done, total, round(done * 100 / total) if total else 0
