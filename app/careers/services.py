"""Job posts, the public board, applications and demand lists. Services flush, never commit; the caller commits.

Posts go through the review workflow (``app.review.services``) under the kind ``job_post``; the board shows
only approved posts that have not expired (the last day counts, in Beijing time)."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.auth.models import User, UserRole
from app.careers.models import (
    ApplicationStatus, DemandEntry, DemandKind, DemandList, JobApplication, JobKind, JobPost, job_post_profession,
)
from app.core import clock
from app.core.sanitize import clean_html
from app.errors import Conflict, DomainError, NotFound, ValidationError
from app.extensions import db
from app.review import services as review

#: Most posts one enterprise may create in an hour (``CAREERS_POSTS_PER_HOUR`` overrides).
POSTS_PER_HOUR = 20
TITLE_MAX, DUTIES_MAX, STATEMENT_MAX = 200, 20000, 2000


class TooManyPosts(DomainError):
    """A flood of posts from one enterprise."""

    status = 429


def today() -> date:
    """Today in the platform's time zone (Beijing): a post expires at the end of its last day there."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    return clock.now().astimezone(zone).date()


# ---------------------------------------------------------------- posts


def enterprise_mentors(enterprise_id: int) -> list[User]:
    """The active mentors of one enterprise, by name: the only people a post may name as its mentor."""
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.enterprise_id == enterprise_id, UserRole.role == "mentor", User.is_active.is_(True))
        .order_by(User.full_name, User.username)))


def _check_post(fields: dict, enterprise_id: int) -> dict:
    title = (fields.get("title") or "").strip()
    if not title:
        raise ValidationError(_("请填写岗位名称。"))
    if len(title) > TITLE_MAX:
        raise ValidationError(_("岗位名称不能超过 %(n)s 个字。", n=TITLE_MAX))
    if fields.get("kind") not in {k.value for k in JobKind}:
        raise ValidationError(_("请选择岗位类型。"))
    pay_min, pay_max = fields.get("pay_min"), fields.get("pay_max")
    if fields.pop("pay_negotiable", False):
        pay_min = pay_max = None
    else:
        if pay_min is None or pay_max is None:
            raise ValidationError(_("请填写薪资范围，或选择“面议”。"))
        if pay_min < 0 or pay_max < 0:
            raise ValidationError(_("薪资不能为负数。"))
        if pay_min > pay_max:
            raise ValidationError(_("最低薪资不能高于最高薪资。"))
    fields["pay_min"], fields["pay_max"] = pay_min, pay_max
    if (fields.get("headcount") or 0) < 1:
        raise ValidationError(_("招聘人数至少为 1 人。"))
    if fields["kind"] == JobKind.internship.value:
        start, end = fields.get("period_start"), fields.get("period_end")
        if start is None or end is None:
            raise ValidationError(_("实习岗位请填写实习起止日期。"))
        if start > end:
            raise ValidationError(_("实习开始日期不能晚于结束日期。"))
    else:
        fields["period_start"] = fields["period_end"] = None
    if fields.get("expires_on") is None:
        raise ValidationError(_("请填写截止日期。"))
    duties = fields.get("duties") or ""
    if len(duties) > DUTIES_MAX:
        raise ValidationError(_("岗位职责不能超过 %(n)s 个字。", n=DUTIES_MAX))
    fields["duties"] = clean_html(duties)
    mentor_id = fields.get("mentor_id") or None
    if mentor_id is not None and mentor_id not in {m.id for m in enterprise_mentors(enterprise_id)}:
        raise ValidationError(_("所选导师不是本企业的企业导师。"))
    fields["mentor_id"] = mentor_id
    fields["title"] = title
    for name in ("province", "city", "district"):
        fields[name] = (fields.get(name) or "").strip()
    return fields


def _set_professions(post: JobPost, profession_ids) -> None:
    from app.catalog.models import Profession

    ids = {int(i) for i in profession_ids or []}
    if not ids:
        raise ValidationError(_("请至少选择一个专业。"))
    post.professions = list(db.session.scalars(select(Profession).where(Profession.id.in_(ids))))


def create_post(enterprise_id: int, actor, *, professions, **fields) -> JobPost:
    """A new draft post of ``enterprise_id``. Refuses (429) when the enterprise created ``CAREERS_POSTS_PER_HOUR``
    posts in the last hour: a flood of posts is not a board."""
    limit = current_app.config.get("CAREERS_POSTS_PER_HOUR", POSTS_PER_HOUR)
    recent = db.session.scalar(select(func.count()).select_from(JobPost).where(
        JobPost.enterprise_id == enterprise_id, JobPost.created_at >= clock.now() - timedelta(hours=1))) or 0
    if recent >= limit:
        raise TooManyPosts(_("本企业一小时内最多发布 %(n)s 个岗位，请稍后再试。", n=limit))
    fields = _check_post(dict(fields), enterprise_id)
    post = JobPost(enterprise_id=enterprise_id, created_by_id=actor.id if actor else None, created_at=clock.now(),
                   **fields)
    _set_professions(post, professions)
    db.session.add(post)
    db.session.flush()
    return post


def update_post(post: JobPost, *, professions, **fields) -> JobPost:
    """Change a draft (or returned / withdrawn) post; submitted and published posts are frozen."""
    review.require_editable(post)
    fields = _check_post(dict(fields), post.enterprise_id)
    for name, value in fields.items():
        setattr(post, name, value)
    _set_professions(post, professions)
    db.session.flush()
    return post


def get_post(post_id: int) -> JobPost:
    post = db.session.get(JobPost, post_id)
    if post is None:
        raise NotFound(_("岗位不存在。"))
    return post


def is_public(post: JobPost) -> bool:
    return review.is_published(post) and post.expires_on >= today()


def public_posts(*, q: str = "", profession_id: int | None = None, city: str = "", kind: str = "",
                 pay_from: int | None = None, sort: str = "date", match_profession_ids=()):
    """The board's query: approved, unexpired posts, filtered; newest first (``sort="pay"``: best paid first;
    ``sort="match"``: posts for one of ``match_profession_ids`` — the student's professions — first).
    Loading a page is a constant number of statements (count, rows, professions) whatever the data."""
    stmt = select(JobPost).where(review.published(JobPost), JobPost.expires_on >= today())
    q = (q or "").strip()
    if q:
        from app.orgs.models import Enterprise

        like = f"%{q}%"
        stmt = stmt.where(or_(JobPost.title.ilike(like), JobPost.enterprise_id.in_(
            select(Enterprise.id).where(Enterprise.name.ilike(like)))))
    if profession_id:
        stmt = stmt.where(JobPost.id.in_(select(job_post_profession.c.job_post_id)
                                         .where(job_post_profession.c.profession_id == profession_id)))
    if city:
        stmt = stmt.where(JobPost.city == city.strip())
    if kind in {k.value for k in JobKind}:
        stmt = stmt.where(JobPost.kind == kind)
    if pay_from:
        stmt = stmt.where(JobPost.pay_max >= pay_from)
    if sort == "match" and match_profession_ids:
        stmt = stmt.order_by(JobPost.id.in_(
            select(job_post_profession.c.job_post_id)
            .where(job_post_profession.c.profession_id.in_(list(match_profession_ids)))).desc(),
            JobPost.approved_at.desc(), JobPost.id.desc())
    elif sort == "pay":
        stmt = stmt.order_by(JobPost.pay_max.is_(None), JobPost.pay_max.desc(), JobPost.id.desc())
    else:
        stmt = stmt.order_by(JobPost.approved_at.desc(), JobPost.id.desc())
    return stmt


def student_profession_ids(user) -> list[int]:
    """Professions of the cohorts a student belongs to (what "sorted by match" matches against)."""
    from app.courses.models import Cohort, CohortMember

    return list(db.session.scalars(select(Cohort.profession_id).join(CohortMember, CohortMember.cohort_id == Cohort.id)
                                   .where(CohortMember.user_id == user.id, Cohort.profession_id.is_not(None))))


def board_cities() -> list[str]:
    """Cities with at least one public post (for the filter)."""
    return list(db.session.scalars(
        select(JobPost.city).where(review.published(JobPost), JobPost.expires_on >= today(), JobPost.city != "")
        .distinct().order_by(JobPost.city)))


def enterprise_posts(enterprise_id: int):
    return select(JobPost).where(JobPost.enterprise_id == enterprise_id).order_by(JobPost.id.desc())


def post_as_json(post: JobPost) -> dict:
    """A post as the public API gives it."""
    return {
        "id": post.id, "kind": post.kind, "title": post.title, "enterprise": post.enterprise.name,
        "professions": [{"id": p.id, "code": p.code, "name": p.name} for p in post.professions],
        "skill_level": post.skill_level.name if post.skill_level else None,
        "province": post.province, "city": post.city, "district": post.district,
        "pay_min": post.pay_min, "pay_max": post.pay_max, "pay_negotiable": post.pay_negotiable,
        "headcount": post.headcount,
        "period_start": post.period_start.isoformat() if post.period_start else None,
        "period_end": post.period_end.isoformat() if post.period_end else None,
        "expires_on": post.expires_on.isoformat(),
        "published_at": clock.as_utc(post.approved_at).isoformat() if post.approved_at else None,
    }


# ---------------------------------------------------------------- applications


def build_resume(student: User) -> dict:
    """The résumé the platform builds from the student's record: name, contact, school, cohorts (profession,
    level, entry year) and certificates, as they are now."""
    from app.certification.models import Certificate
    from app.courses.models import Cohort, CohortMember

    cohorts = db.session.scalars(select(Cohort).join(CohortMember, CohortMember.cohort_id == Cohort.id)
                                 .where(CohortMember.user_id == student.id).order_by(Cohort.entry_year.desc()))
    certificates = db.session.scalars(select(Certificate).where(Certificate.user_id == student.id)
                                      .order_by(Certificate.issued_on.desc()))
    return {
        "name": student.display_name, "phone": student.phone or "", "email": student.email or "",
        "school": student.school.name if student.school else "",
        "cohorts": [{"name": c.name, "profession": c.profession.name if c.profession else "",
                     "level": c.training_level.name if c.training_level else "", "entry_year": c.entry_year}
                    for c in cohorts],
        "certificates": [{"title": c.program_title, "level": c.level_name, "issued_on": c.issued_on.isoformat()}
                         for c in certificates],
    }


def application_of(post: JobPost, student: User) -> JobApplication | None:
    return db.session.scalar(select(JobApplication).where(JobApplication.job_post_id == post.id,
                                                          JobApplication.student_id == student.id))


def apply(post: JobPost, student: User, statement: str = "") -> JobApplication:
    """The student applies to a public post, once: a second application to the same post is refused
    (a withdrawn one included — the enterprise has already seen it)."""
    if not is_public(post):
        raise NotFound(_("岗位不存在或已下线。"))
    if application_of(post, student) is not None:
        raise Conflict(_("您已投递过这个岗位，不能重复投递。"))
    statement = (statement or "").strip()
    if len(statement) > STATEMENT_MAX:
        raise ValidationError(_("自我介绍不能超过 %(n)s 个字。", n=STATEMENT_MAX))
    application = JobApplication(job_post_id=post.id, student_id=student.id, statement=statement,
                                 resume=build_resume(student), created_at=clock.now(), updated_at=clock.now())
    db.session.add(application)
    db.session.flush()
    return application


def get_application(application_id: int) -> JobApplication:
    application = db.session.get(JobApplication, application_id)
    if application is None:
        raise NotFound(_("投递记录不存在。"))
    return application


#: Where the enterprise may move an application.
HR_STATUSES = (ApplicationStatus.interview.value, ApplicationStatus.offered.value, ApplicationStatus.declined.value)


def mark_viewed(application: JobApplication) -> None:
    """The enterprise opened a submitted application: 已投递 becomes 已查看."""
    if application.status == ApplicationStatus.submitted.value:
        application.status = ApplicationStatus.viewed.value
        application.updated_at = clock.now()
        db.session.flush()


def set_status(application: JobApplication, status: str) -> None:
    """The enterprise moves an application to 面试, 录用 or 未录用; a withdrawn application stays withdrawn."""
    if status not in HR_STATUSES:
        raise ValidationError(_("请选择有效的投递状态。"))
    if application.status == ApplicationStatus.withdrawn.value:
        raise Conflict(_("学生已撤回这份投递。"))
    application.status = status
    application.updated_at = clock.now()
    db.session.flush()


def withdraw(application: JobApplication) -> None:
    """The student takes their application back."""
    if application.status == ApplicationStatus.withdrawn.value:
        raise Conflict(_("这份投递已经撤回。"))
    application.status = ApplicationStatus.withdrawn.value
    application.updated_at = clock.now()
    db.session.flush()


def applications_for(user):
    """The applications a user sees in their list: a student their own, HR those to their enterprise's posts,
    teachers and school admins those of their school's students, platform admins all."""
    stmt = select(JobApplication).order_by(JobApplication.created_at.desc(), JobApplication.id.desc())
    if user.has_role("platform_admin"):
        return stmt
    conditions = [JobApplication.student_id == user.id]
    if user.has_role("enterprise_hr") and user.enterprise_id:
        conditions.append(JobApplication.job_post_id.in_(
            select(JobPost.id).where(JobPost.enterprise_id == user.enterprise_id)))
    if user.has_role("teacher", "school_admin") and user.school_id:
        conditions.append(JobApplication.student_id.in_(select(User.id).where(User.school_id == user.school_id)))
    return stmt.where(or_(*conditions))


# ---------------------------------------------------------------- demand lists (三张清单)


def demand_list(enterprise_id: int, kind: str, *, create: bool = False) -> DemandList | None:
    """The enterprise's list of ``kind`` (created on first use when ``create``)."""
    if kind not in {k.value for k in DemandKind}:
        raise NotFound(_("清单不存在。"))
    found = db.session.scalar(select(DemandList).where(DemandList.enterprise_id == enterprise_id,
                                                       DemandList.kind == kind))
    if found is None and create:
        found = DemandList(enterprise_id=enterprise_id, kind=kind, updated_at=clock.now())
        db.session.add(found)
        db.session.flush()
    return found


def demand_lists(enterprise_id: int) -> dict[str, DemandList | None]:
    rows = {d.kind: d for d in db.session.scalars(select(DemandList).where(DemandList.enterprise_id == enterprise_id))}
    return {k.value: rows.get(k.value) for k in DemandKind}


def add_demand_entry(enterprise_id: int, kind: str, *, profession_id=None, skill_level_id=None, headcount=None,
                     needed_by=None, title: str = "", description: str = "") -> DemandEntry:
    """Add a line: talent lines need a profession and a headcount; the other lists a title."""
    title, description = (title or "").strip(), (description or "").strip()
    if kind == DemandKind.talent.value:
        if not profession_id:
            raise ValidationError(_("请选择专业。"))
        if not headcount or headcount < 1:
            raise ValidationError(_("需求人数至少为 1 人。"))
    elif not title:
        raise ValidationError(_("请填写名称。"))
    if len(title) > TITLE_MAX:
        raise ValidationError(_("名称不能超过 %(n)s 个字。", n=TITLE_MAX))
    target = demand_list(enterprise_id, kind, create=True)
    entry = DemandEntry(demand_list=target, profession_id=profession_id or None, skill_level_id=skill_level_id or None,
                        headcount=headcount, needed_by=needed_by, title=title, description=description[:DUTIES_MAX])
    target.updated_at = clock.now()
    db.session.add(entry)
    db.session.flush()
    return entry


def remove_demand_entry(entry: DemandEntry) -> None:
    entry.demand_list.updated_at = clock.now()
    db.session.delete(entry)
    db.session.flush()


def talent_demand_summary() -> list[dict]:
    """人才需求 of every enterprise, summed by profession and province, next to the number of students in cohorts
    of that profession (what schools plan against). Two statements."""
    from app.catalog.models import Profession
    from app.courses.models import Cohort, CohortMember
    from app.orgs.models import Enterprise

    rows = db.session.execute(
        select(Profession.id, Profession.name, Enterprise.province, func.sum(DemandEntry.headcount),
               func.count(func.distinct(Enterprise.id)))
        .select_from(DemandEntry).join(DemandList, DemandList.id == DemandEntry.demand_list_id)
        .join(Enterprise, Enterprise.id == DemandList.enterprise_id)
        .join(Profession, Profession.id == DemandEntry.profession_id)
        .where(DemandList.kind == DemandKind.talent.value)
        .group_by(Profession.id, Profession.name, Enterprise.province)
        .order_by(Profession.name, Enterprise.province)).all()
    ids = {r[0] for r in rows}
    students = dict(db.session.execute(
        select(Cohort.profession_id, func.count(CohortMember.id)).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(Cohort.profession_id.in_(ids)).group_by(Cohort.profession_id)).all()) if ids else {}
    return [{"profession": name, "province": province, "headcount": int(total or 0), "enterprises": enterprises,
             "students": students.get(pid, 0)} for pid, name, province, total, enterprises in rows]
