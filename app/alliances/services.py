"""Alliances, committees and demonstration bases: every write flushes, the caller (a view, the CLI, the content
loader) commits. Reads return plain rows or small dicts the templates and the JSON API share."""
from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.alliances.models import (
    COMMITTEE_KINDS,
    COMMITTEE_MEMBER_ROLES,
    Alliance,
    AllianceMember,
    AllianceSecretary,
    Committee,
    CommitteeExpert,
    CommitteeManager,
    CommitteeMember,
)
from app.errors import ValidationError, get_or_raise
from app.extensions import db


# ------------------------------------------------------------------------------------------------ alliances
def get_alliance(alliance_id: int) -> Alliance:
    """The alliance or NotFound."""
    return get_or_raise(Alliance, alliance_id, _("联盟不存在。"))


def alliances() -> list[Alliance]:
    """All alliances by name."""
    return list(db.session.scalars(select(Alliance).order_by(Alliance.name)))


def add_alliance_member(alliance: Alliance, *, role: str, school=None, enterprise=None, joined_on=None):
    """Add a school or an enterprise to the alliance as 理事单位 ``council`` or 成员单位 ``member``; adding it
    again changes its role and date."""
    if role not in ("council", "member"):
        raise ValidationError(_("未知的成员类别。"))
    if (school is None) == (enterprise is None):
        raise ValidationError(_("请选择一所学校或一家企业。"))
    column, org = (AllianceMember.school_id, school) if school is not None else (AllianceMember.enterprise_id,
                                                                                 enterprise)
    member = db.session.scalar(select(AllianceMember).where(AllianceMember.alliance_id == alliance.id,
                                                            column == org.id))
    if member is None:
        member = AllianceMember(alliance_id=alliance.id, school_id=getattr(school, "id", None),
                                enterprise_id=getattr(enterprise, "id", None))
        db.session.add(member)
    member.role, member.joined_on = role, joined_on
    db.session.flush()
    return member


def alliance_members(alliance: Alliance) -> list[AllianceMember]:
    """Members, 理事单位 first, then by join date."""
    return list(db.session.scalars(select(AllianceMember).where(AllianceMember.alliance_id == alliance.id)
                                   .order_by(AllianceMember.role, AllianceMember.joined_on, AllianceMember.id)))


def add_secretary(alliance: Alliance, user) -> None:
    """Make ``user`` part of the alliance's secretariat (idempotent)."""
    if not is_secretary(user, alliance.id):
        db.session.add(AllianceSecretary(alliance_id=alliance.id, user_id=user.id))
        db.session.flush()


def is_secretary(user, alliance_id: int) -> bool:
    return db.session.scalar(select(AllianceSecretary.id).where(
        AllianceSecretary.alliance_id == alliance_id, AllianceSecretary.user_id == user.id)) is not None


# ------------------------------------------------------------------------------------------------ committees
def get_committee(committee_id: int) -> Committee:
    """The committee or NotFound."""
    return get_or_raise(Committee, committee_id, _("委员会不存在。"))


def committee_by_key(key: str) -> Committee | None:
    return db.session.scalar(select(Committee).where(Committee.key == key))


def save_committee(committee: Committee | None, *, key: str, alliance: Alliance, name: str, kind: str = "guidance",
                   industry_field=None, professions=(), short_name: str = "", position: int = 0,
                   description: str = "", criteria: list | None = None) -> Committee:
    """Create or update a committee; ``criteria`` (the base rubric) is checked by :func:`check_criteria`."""
    if kind not in COMMITTEE_KINDS:
        raise ValidationError(_("未知的委员会类型。"))
    if not name.strip():
        raise ValidationError(_("请填写委员会名称。"))
    if committee is None:
        committee = Committee(key=key)
        db.session.add(committee)
    committee.alliance_id, committee.name, committee.kind = alliance.id, name.strip(), kind
    committee.industry_field_id = getattr(industry_field, "id", None)
    committee.short_name, committee.position, committee.description = short_name, position, description
    committee.criteria = check_criteria(criteria or [])
    committee.professions = list(professions)
    db.session.flush()
    return committee


def check_criteria(criteria: list) -> list[dict]:
    """Normalise a rubric: ``[{"name", "max_score" (1–100), "evidence" (bool)}]``; ValidationError otherwise."""
    out = []
    for n, row in enumerate(criteria, 1):
        name = str((row or {}).get("name") or "").strip()
        max_score = (row or {}).get("max_score")
        if not name:
            raise ValidationError(_("第 %(n)s 条评审标准缺少名称。", n=n))
        if not isinstance(max_score, int) or isinstance(max_score, bool) or not 1 <= max_score <= 100:
            raise ValidationError(_("第 %(n)s 条评审标准的满分须为 1 到 100 的整数。", n=n))
        out.append({"name": name, "max_score": max_score, "evidence": bool(row.get("evidence"))})
    return out


def set_committee_members(committee: Committee, rows: list[dict]) -> int:
    """Replace the committee's member organisations with ``rows`` (``{"role", "school"|"enterprise"|"name"}``,
    in order). Returns 1 when anything changed (the content loader counts changes)."""
    wanted = []
    for position, row in enumerate(rows):
        if row.get("role") not in COMMITTEE_MEMBER_ROLES:
            raise ValidationError(_("未知的成员单位类别。"))
        school, enterprise = row.get("school"), row.get("enterprise")
        name = "" if (school or enterprise) else str(row.get("name") or "").strip()
        if sum(bool(x) for x in (school, enterprise, name)) != 1:
            raise ValidationError(_("成员单位须是一所学校、一家企业或一个单位名称（三选一）。"))
        wanted.append((row["role"], getattr(school, "id", None), getattr(enterprise, "id", None), name, position))
    current = db.session.scalars(select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
                                 .order_by(CommitteeMember.position, CommitteeMember.id)).all()
    if [(m.role, m.school_id, m.enterprise_id, m.organisation_name, m.position) for m in current] == wanted:
        return 0
    for member in current:
        db.session.delete(member)
    db.session.flush()
    for role, school_id, enterprise_id, name, position in wanted:
        db.session.add(CommitteeMember(committee_id=committee.id, role=role, school_id=school_id,
                                       enterprise_id=enterprise_id, organisation_name=name, position=position))
    db.session.flush()
    return 1


def add_committee_member(committee: Committee, *, role: str, school=None, enterprise=None, name: str = ""):
    """Add one member organisation at the end of its role group."""
    if role not in COMMITTEE_MEMBER_ROLES:
        raise ValidationError(_("未知的成员单位类别。"))
    name = "" if (school or enterprise) else name.strip()
    if sum(bool(x) for x in (school, enterprise, name)) != 1:
        raise ValidationError(_("成员单位须是一所学校、一家企业或一个单位名称（三选一）。"))
    last = db.session.scalar(select(func.max(CommitteeMember.position))
                             .where(CommitteeMember.committee_id == committee.id)) or 0
    member = CommitteeMember(committee_id=committee.id, role=role, school_id=getattr(school, "id", None),
                             enterprise_id=getattr(enterprise, "id", None), organisation_name=name,
                             position=last + 1)
    db.session.add(member)
    db.session.flush()
    return member


def committee_members_by_role(committee: Committee) -> list[tuple[str, list[CommitteeMember]]]:
    """``[(role, members)]`` in the order 主任单位, 副主任单位, 产业…, 参与单位, 技能大师工作室 (empty roles left
    out). One statement, whatever the number of members."""
    groups: dict[str, list] = defaultdict(list)
    for member in db.session.scalars(select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
                                     .order_by(CommitteeMember.position, CommitteeMember.id)):
        groups[member.role].append(member)
    return [(role, groups[role]) for role in COMMITTEE_MEMBER_ROLES if groups[role]]


def add_expert(committee: Committee, user, title: str = "") -> CommitteeExpert:
    """Put ``user`` into the committee's expert group (idempotent)."""
    expert = db.session.scalar(select(CommitteeExpert).where(CommitteeExpert.committee_id == committee.id,
                                                             CommitteeExpert.user_id == user.id))
    if expert is None:
        expert = CommitteeExpert(committee_id=committee.id, user_id=user.id)
        db.session.add(expert)
    expert.title = title
    db.session.flush()
    return expert


def add_manager(committee: Committee, user) -> None:
    """Let ``user`` manage the committee for its chair organisation (idempotent)."""
    if not is_manager(user, committee.id):
        db.session.add(CommitteeManager(committee_id=committee.id, user_id=user.id))
        db.session.flush()


def is_expert(user, committee_id: int) -> bool:
    return db.session.scalar(select(CommitteeExpert.id).where(
        CommitteeExpert.committee_id == committee_id, CommitteeExpert.user_id == user.id)) is not None


def is_manager(user, committee_id: int) -> bool:
    return db.session.scalar(select(CommitteeManager.id).where(
        CommitteeManager.committee_id == committee_id, CommitteeManager.user_id == user.id)) is not None


def experts(committee: Committee) -> list[CommitteeExpert]:
    """The expert group, by name (one statement)."""
    from app.auth.models import User

    return list(db.session.scalars(select(CommitteeExpert).join(User, User.id == CommitteeExpert.user_id)
                                   .where(CommitteeExpert.committee_id == committee.id)
                                   .order_by(User.full_name, User.id)))


def committee_summaries(field_id: int | None = None) -> list[dict]:
    """Every committee with its field, lead organisation (the first 主任单位) and member count, in a fixed
    number of statements: ``{"committee", "name", "industry_field", "lead_organisation", "member_count"}``."""
    query = select(Committee).order_by(Committee.position, Committee.id)
    if field_id is not None:
        query = query.where(Committee.industry_field_id == field_id)
    committees = list(db.session.scalars(query))
    ids = [c.id for c in committees]
    counts = dict(db.session.execute(select(CommitteeMember.committee_id, func.count())
                                     .where(CommitteeMember.committee_id.in_(ids))
                                     .group_by(CommitteeMember.committee_id)).all()) if ids else {}
    leads: dict[int, str] = {}
    if ids:
        for member in db.session.scalars(select(CommitteeMember).where(
                CommitteeMember.committee_id.in_(ids), CommitteeMember.role == "chair")
                .order_by(CommitteeMember.position, CommitteeMember.id)):
            leads.setdefault(member.committee_id, member.name)
    return [{"committee": c, "name": c.name, "industry_field": c.industry_field.name if c.industry_field else "",
             "lead_organisation": leads.get(c.id, ""), "member_count": counts.get(c.id, 0)} for c in committees]



# ------------------------------------------------------------------------------------ demonstration bases
#: What an evidence file may be (the upload service checks type and size).
EVIDENCE_KINDS = ("document", "image")
#: Decisions a committee takes on a scored application and the state each leads to.
DECISIONS = {"pass": "passed", "rework": "rework", "reject": "rejected"}
#: Applications in these states still count as the school's open application for the profession.
OPEN_STATES = ("submitted", "passed", "accepted", "published")


def set_criteria(committee: Committee, criteria: list) -> None:
    """Replace the committee's base rubric (see :func:`check_criteria`)."""
    committee.criteria = check_criteria(criteria)
    db.session.flush()


def partnership_choices(school_id: int) -> list:
    """The school's 校企合作 records (the only partners an application may name), by enterprise name."""
    from app.orgs.models import Enterprise, Partnership

    return list(db.session.scalars(select(Partnership).join(Enterprise, Enterprise.id == Partnership.enterprise_id)
                                   .where(Partnership.school_id == school_id)
                                   .order_by(Enterprise.name, Partnership.kind)))


def _record(application, to_state: str, actor, note: str = "", *, new: bool = False) -> None:
    """Move the application to ``to_state`` and append the change to its history (never updated)."""
    from app.alliances.models import BaseApplicationEvent

    db.session.add(BaseApplicationEvent(application_id=application.id, from_state="" if new else application.state,
                                        to_state=to_state, actor_id=getattr(actor, "id", None), note=note))
    application.state = to_state


def apply_for_base(actor, committee: Committee, *, profession_id: int, self_assessment: list, partnership_ids,
                   evidence: dict, summary: str = ""):
    """A school admin applies for a demonstration base of one of the committee's professions.

    ``self_assessment`` has one ``{"score", "text"}`` per criterion; ``evidence`` maps a criterion's index to
    uploaded files. Refused (ValidationError, nothing kept): a profession the committee does not cover, a
    partner that is not one of the school's 校企合作 records, a score outside 0…max, criteria that need
    evidence and have none (listed by name). A second open application of the school for the same profession
    and committee is a Conflict."""
    from app.alliances.models import BaseApplication, BaseApplicationPartner, BaseEvidence
    from app.errors import Conflict

    if profession_id not in {p.id for p in committee.professions}:
        raise ValidationError(_("请选择本委员会覆盖的专业。"))
    allowed = {p.id for p in partnership_choices(actor.school_id)}
    partners = list(dict.fromkeys(int(i) for i in partnership_ids))
    if any(i not in allowed for i in partners):
        raise ValidationError(_("合作企业只能从本校的校企合作记录中选择。"))
    criteria = committee.criteria or []
    if len(self_assessment) != len(criteria):
        raise ValidationError(_("请对每条评审标准进行自评。"))
    assessed = []
    for criterion, row in zip(criteria, self_assessment):
        score = row.get("score")
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= criterion["max_score"]:
            raise ValidationError(_("“%(name)s”的自评分须为 0 到 %(max)s 的整数。", name=criterion["name"],
                                    max=criterion["max_score"]))
        assessed.append({"score": score, "text": str(row.get("text") or "").strip()})
    files = {i: [f for f in evidence.get(i, []) if f is not None and getattr(f, "filename", "")]
             for i in range(len(criteria))}
    missing = [c["name"] for i, c in enumerate(criteria) if c.get("evidence") and not files[i]]
    if missing:
        raise ValidationError(_("以下评审标准缺少佐证材料：%(names)s", names="、".join(missing)))
    if db.session.scalar(select(BaseApplication.id).where(
            BaseApplication.committee_id == committee.id, BaseApplication.school_id == actor.school_id,
            BaseApplication.profession_id == profession_id, BaseApplication.state.in_(OPEN_STATES))):
        raise Conflict(_("本校已申报该专业的示范基地，不能重复申报。"))
    application = BaseApplication(committee_id=committee.id, school_id=actor.school_id,
                                  profession_id=profession_id, applicant_id=actor.id, self_assessment=assessed,
                                  summary=summary.strip(), state="submitted")
    db.session.add(application)
    db.session.flush()
    for partnership_id in partners:
        db.session.add(BaseApplicationPartner(application_id=application.id, partnership_id=partnership_id))
    from app.media.services import attach_files

    for index, chosen in files.items():
        if chosen:
            attach_files(chosen, EVIDENCE_KINDS, prefix="bases", actor=actor,
                         link=lambda media, index=index: BaseEvidence(application_id=application.id,
                                                                      criterion=index, media_file_id=media.id))
    _record(application, "submitted", actor, new=True)
    db.session.flush()
    return application


def get_application(application_id: int):
    """The application or NotFound."""
    from app.alliances.models import BaseApplication

    return get_or_raise(BaseApplication, application_id, _("申报不存在。"))


def score_application(application, expert, scores: list, comment: str = ""):
    """An expert's independent score: one whole number per criterion (0…max). Refused: a user outside the
    committee's expert group or from the applicant school (PermissionDenied), an application no longer under
    review (ValidationError), a second score by the same expert (Conflict — never an overwrite)."""
    from app.alliances.models import ExpertScore
    from app.errors import Conflict, PermissionDenied

    if not is_expert(expert, application.committee_id):
        raise PermissionDenied(_("只有本委员会专家组成员可以评分。"))
    if expert.school_id is not None and expert.school_id == application.school_id:
        raise PermissionDenied(_("专家不能评审本校的申报（利益回避）。"))
    if application.state != "submitted":
        raise ValidationError(_("该申报已不在评审阶段。"))
    if db.session.scalar(select(ExpertScore.id).where(ExpertScore.application_id == application.id,
                                                      ExpertScore.expert_id == expert.id)):
        raise Conflict(_("您已为该申报评过分，评分提交后不能修改。"))
    criteria = application.committee.criteria or []
    if len(scores) != len(criteria):
        raise ValidationError(_("请为每条评审标准打分。"))
    for criterion, value in zip(criteria, scores):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= criterion["max_score"]:
            raise ValidationError(_("“%(name)s”的评分须为 0 到 %(max)s 的整数。", name=criterion["name"],
                                    max=criterion["max_score"]))
    row = ExpertScore(application_id=application.id, expert_id=expert.id, scores=list(scores),
                      total=sum(scores), comment=comment.strip())
    db.session.add(row)
    db.session.flush()
    return row


def scores_of(application) -> list:
    from app.alliances.models import ExpertScore

    return list(db.session.scalars(select(ExpertScore).where(ExpertScore.application_id == application.id)
                                   .order_by(ExpertScore.created_at, ExpertScore.id)))


def history(application) -> list:
    """The application's state changes, oldest first."""
    from app.alliances.models import BaseApplicationEvent

    return list(db.session.scalars(select(BaseApplicationEvent)
                                   .where(BaseApplicationEvent.application_id == application.id)
                                   .order_by(BaseApplicationEvent.at, BaseApplicationEvent.id)))


def decide(application, actor, decision: str, note: str = "") -> None:
    """The committee decides on a scored application: ``pass`` / ``rework`` / ``reject``. Passing needs at
    least one expert score; a decided application cannot be decided again."""
    if decision not in DECISIONS:
        raise ValidationError(_("请选择评审结论。"))
    if application.state != "submitted":
        raise ValidationError(_("该申报已有评审结论。"))
    if decision == "pass" and not scores_of(application):
        raise ValidationError(_("还没有专家评分，不能评为通过。"))
    if decision != "pass" and not note.strip():
        raise ValidationError(_("退回修改或不通过时请写明理由。"))
    _record(application, DECISIONS[decision], actor, note.strip())
    db.session.flush()


def accept(application, actor, note: str = "") -> None:
    """验收: a passed application's base has been built and is accepted by the committee."""
    if application.state != "passed":
        raise ValidationError(_("只有评审通过的申报可以验收。"))
    _record(application, "accepted", actor, note.strip())
    db.session.flush()


def publish(application, actor, batch_number: int):
    """Publish an accepted base in batch ``batch_number`` (建成一批公布一批). Publishing twice is a Conflict."""
    from app.alliances.models import DemonstrationBase
    from zoneinfo import ZoneInfo

    from app.core import clock
    from app.errors import Conflict

    if application.state == "published" or db.session.scalar(
            select(DemonstrationBase.id).where(DemonstrationBase.application_id == application.id)):
        raise Conflict(_("该示范基地已公布，不能重复公布。"))
    if application.state != "accepted":
        raise ValidationError(_("只有已验收的示范基地可以公布。"))
    if not isinstance(batch_number, int) or isinstance(batch_number, bool) or batch_number < 1:
        raise ValidationError(_("批次须为正整数。"))
    base = DemonstrationBase(application_id=application.id, committee_id=application.committee_id,
                             school_id=application.school_id, profession_id=application.profession_id,
                             batch_number=batch_number,
                             published_on=clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date())
    db.session.add(base)
    _record(application, "published", actor, _("第 %(n)s 批", n=batch_number))
    db.session.flush()
    return base


def applications_for(user, committee: Committee) -> list:
    """The committee's applications ``user`` may see: all for its managers; for its experts all but those of
    their own school; for a school admin, their school's. One statement."""
    from app.alliances import permissions
    from app.alliances.models import BaseApplication

    query = select(BaseApplication).where(BaseApplication.committee_id == committee.id) \
        .order_by(BaseApplication.submitted_at.desc(), BaseApplication.id.desc())
    if permissions.can_manage_committee(user, committee):
        pass
    elif user.is_authenticated and is_expert(user, committee.id):
        if user.school_id is not None:
            query = query.where(BaseApplication.school_id != user.school_id)
    elif user.is_authenticated and user.school_id is not None:
        query = query.where(BaseApplication.school_id == user.school_id)
    else:
        return []
    return list(db.session.scalars(query))


def published_bases(field_id: int | None = None, province: str | None = None) -> list:
    """Published demonstration bases, newest batch first, filtered by industry field and province."""
    from app.alliances.models import DemonstrationBase
    from app.orgs.models import School

    query = select(DemonstrationBase).join(School, School.id == DemonstrationBase.school_id) \
        .join(Committee, Committee.id == DemonstrationBase.committee_id) \
        .order_by(DemonstrationBase.batch_number.desc(), School.province, School.name)
    if field_id is not None:
        query = query.where(Committee.industry_field_id == field_id)
    if province:
        query = query.where(School.province == province)
    return list(db.session.scalars(query))


def base_provinces() -> list[str]:
    """Provinces that have a published base (the filter's choices)."""
    from app.alliances.models import DemonstrationBase
    from app.orgs.models import School

    return list(db.session.scalars(select(School.province).join(DemonstrationBase,
                                                                 DemonstrationBase.school_id == School.id)
                                   .distinct().order_by(School.province)))
