"""Question banks, knowledge points and questions: the public operations (they flush; callers commit).

Editing a question never changes a version: it appends a new :class:`QuestionVersion` and moves the
question's pointer, so attempts that pinned an older version keep showing (and grading) exactly that.
Every new version is submitted for review at once (凡编必审, :mod:`app.questions.review`); exams use only
``Question.approved_version_id``, so a new or edited question reaches learners once a reviewer approves it.
"""
from __future__ import annotations

import hashlib
import json
import re

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from app.core import clock
from app.core.database import lock_row
from app.errors import Conflict, ValidationError, get_or_raise
from app.extensions import db
from app.questions import sanitize
from app.questions.models import KnowledgePoint, Question, QuestionBank, QuestionTag, QuestionVersion
from app.questions.types import TYPES, get_type
from app.review import services as review

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
MAX_TAGS = 20


# ---------------------------------------------------------------------------------------------- banks

def get_bank(bank_id: int) -> QuestionBank:
    return get_or_raise(QuestionBank, bank_id, _("题库不存在。"))


def bank_by_key(key: str) -> QuestionBank | None:
    return db.session.scalar(select(QuestionBank).where(QuestionBank.key == (key or "").strip().lower()))


def check_bank_key(key: str) -> str:
    key = (key or "").strip().lower()
    if not KEY_RE.match(key):
        raise ValidationError(_("题库代码只能包含小写字母、数字、连字符和下划线，长度 2–64。"))
    return key


def create_bank(*, key: str, name: str, profession=None, school_id: int | None = None, description: str = "",
                actor=None) -> QuestionBank:
    """Create a bank. ``key`` is unique; ``school_id`` None makes it a platform-wide bank."""
    key = check_bank_key(key)
    if bank_by_key(key) is not None:
        raise Conflict(_("题库代码 %(key)s 已被使用。", key=key))
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写题库名称。"))
    bank = QuestionBank(key=key, name=name[:200], description=(description or "").strip(),
                        profession_id=profession.id if profession else None, school_id=school_id,
                        created_by_id=actor.id if actor else None)
    db.session.add(bank)
    db.session.flush()
    return bank


def ensure_bank(key: str, *, profession=None, actor=None) -> tuple[QuestionBank, bool]:
    """The bank with ``key``, created (named after its key and profession) when missing; (bank, created)."""
    bank = bank_by_key(key)
    if bank is not None:
        return bank, False
    name = f"{profession.name} {key}" if profession else key
    return create_bank(key=key, name=name, profession=profession, actor=actor), True


def visible_banks_statement(user) -> Select:
    """Banks the user may see, newest first."""
    from app.auth.models import Role

    stmt = select(QuestionBank).order_by(QuestionBank.created_at.desc(), QuestionBank.id.desc())
    if not user.has_role(Role.platform_admin, Role.reviewer):
        stmt = stmt.where(or_(QuestionBank.school_id.is_(None), QuestionBank.school_id == user.school_id))
    return stmt


def question_counts(banks) -> dict[int, int]:
    """bank id -> number of questions, for a page of banks (one statement)."""
    ids = [b.id for b in banks]
    if not ids:
        return {}
    return dict(db.session.execute(select(Question.bank_id, func.count()).where(Question.bank_id.in_(ids))
                                   .group_by(Question.bank_id)).all())


# ---------------------------------------------------------------------------------- knowledge points

def split_path(path: str) -> list[str]:
    from app.questions.formats import split_path as _split

    return [p.strip()[:200] for p in _split(path)]


def knowledge_points(bank: QuestionBank) -> list[KnowledgePoint]:
    """The bank's points in tree order (by path)."""
    return list(db.session.scalars(select(KnowledgePoint).where(KnowledgePoint.bank_id == bank.id)
                                   .order_by(KnowledgePoint.path)))


def ensure_knowledge_points(bank: QuestionBank, paths) -> dict[str, int]:
    """Create the points of every ``A/B/C`` path (and its ancestors) that do not exist yet; path -> id.

    One SELECT plus one INSERT per new point (categories are few even in big imports).
    """
    existing = {kp.path: kp.id for kp in db.session.execute(
        select(KnowledgePoint.path, KnowledgePoint.id).where(KnowledgePoint.bank_id == bank.id))}
    for path in sorted({p for p in paths if p}):
        parts = split_path(path)
        parent_id = None
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if prefix not in existing:
                point = KnowledgePoint(bank_id=bank.id, parent_id=parent_id, name=parts[depth - 1], path=prefix)
                db.session.add(point)
                db.session.flush()
                existing[prefix] = point.id
            parent_id = existing[prefix]
    result = dict(existing)
    for path in paths:
        if path:
            result[path] = existing.get("/".join(split_path(path)))
    return result


def learning_task_names(points) -> dict[int, str]:
    """{learning task id: "code name"} of the tasks the given knowledge points are linked to (one statement)."""
    from app.standards.models import LearningTask

    ids = {p.learning_task_id for p in points if p.learning_task_id}
    if not ids:
        return {}
    rows = db.session.execute(select(LearningTask.id, LearningTask.code, LearningTask.name)
                              .where(LearningTask.id.in_(ids)))
    return {tid: f"{code} {name}" for tid, code, name in rows}


def create_knowledge_point(bank: QuestionBank, *, name: str, parent: KnowledgePoint | None = None,
                           learning_task_id: int | None = None) -> KnowledgePoint:
    """Add a point under ``parent`` (or at the top). Names may not contain ``/``."""
    name = (name or "").strip()
    if not name or "/" in name:
        raise ValidationError(_("请填写知识点名称（不能包含“/”）。"))
    if parent is not None and parent.bank_id != bank.id:
        raise ValidationError(_("上级知识点不属于这个题库。"))
    if learning_task_id is not None:
        from app.standards.browse import task_options
        from app.standards.models import LearningTask

        if db.session.get(LearningTask, learning_task_id) is None:
            raise ValidationError(_("学习任务不存在。"))
        if bank.profession_id and learning_task_id not in {tid for tid, _label in task_options(bank.profession_id)}:
            raise ValidationError(_("所选学习任务不属于本题库专业的课程标准。"))
    path = f"{parent.path}/{name}" if parent else name
    if db.session.scalar(select(KnowledgePoint.id).where(KnowledgePoint.bank_id == bank.id,
                                                         KnowledgePoint.path == path)):
        raise Conflict(_("知识点“%(path)s”已存在。", path=path))
    point = KnowledgePoint(bank_id=bank.id, parent_id=parent.id if parent else None, name=name[:200], path=path,
                           learning_task_id=learning_task_id)
    db.session.add(point)
    db.session.flush()
    return point


def get_knowledge_point(bank: QuestionBank, point_id: int | None) -> KnowledgePoint | None:
    if not point_id:
        return None
    point = db.session.get(KnowledgePoint, point_id)
    if point is None or point.bank_id != bank.id:
        raise ValidationError(_("知识点不属于这个题库。"))
    return point


# ------------------------------------------------------------------------------------------ questions

def clean_tags(tags) -> list[str]:
    """Trimmed, de-duplicated tags (at most 20 of at most 100 characters)."""
    if isinstance(tags, str):
        tags = re.split(r"[,，;；、\s]+", tags)
    out = []
    for tag in tags or []:
        tag = str(tag).strip()[:100]
        if tag and tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise ValidationError(_("标签最多 %(n)s 个。", n=MAX_TAGS))
    return out


def default_name(text_html: str) -> str:
    """Moodle's default question name: the start of the plain text."""
    text = " ".join(sanitize.html_to_text(text_html).split())
    return text[:60] or _("未命名试题")


def identity_for(type_name: str, text_html: str, category: str, id_number: str | None) -> str:
    """What makes a re-import recognise a question: its ID number, else a hash of type, text and category."""
    if id_number:
        return "id:" + id_number
    digest = hashlib.sha1(f"{type_name}\x00{text_html}\x00{category}".encode("utf-8")).hexdigest()
    return "h:" + digest


def content_hash(fields: dict, tags: list[str], category: str) -> str:
    canonical = json.dumps({**{k: fields[k] for k in sorted(fields)}, "tags": sorted(tags), "category": category},
                           sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()


def prepare_fields(type_name: str, *, text: str, data: dict, name: str = "", points=None, difficulty=None,
                   explanation: str = "", general_feedback: str = "", text_is_html: bool = True) -> dict:
    """Validate and normalise a question's content: the columns of a QuestionVersion (without ids).

    Raises ValidationError with a user-facing message.
    """
    qtype = get_type(type_name)
    text_html = sanitize.clean_html(text) if text_is_html else sanitize.plain_to_html(text)
    if not sanitize.html_to_text(text_html) and "<img" not in text_html:
        raise ValidationError(_("题干不能为空。"))
    data = qtype.validate_data(data)
    if points is None or points == "":
        points = 1.0 if qtype.has_points else 0.0
    try:
        points = float(points)
    except (TypeError, ValueError):
        raise ValidationError(_("分值必须是数字。")) from None
    if not 0 <= points <= 1000:
        raise ValidationError(_("分值必须在 0 到 1000 之间。"))
    if not qtype.has_points:
        points = 0.0
    if difficulty is None or difficulty == "":
        difficulty = 3
    try:
        difficulty = int(difficulty)
    except (TypeError, ValueError):
        raise ValidationError(_("难易度必须是 1 到 5 的整数。")) from None
    if not 1 <= difficulty <= 5:
        raise ValidationError(_("难易度必须是 1 到 5 的整数。"))
    return {"type": type_name, "name": ((name or "").strip() or default_name(text_html))[:255], "text": text_html,
            "data": data, "points": points, "difficulty": difficulty,
            "explanation": sanitize.clean_html(explanation or ""),
            "general_feedback": sanitize.clean_html(general_feedback or "")}


def get_question(question_id: int) -> Question:
    return get_or_raise(Question, question_id, _("试题不存在。"))


def _copy_to_question(question: Question, version: QuestionVersion) -> None:
    question.current_version = version
    question.type, question.difficulty, question.points = version.type, version.difficulty, version.points
    question.name = version.name
    question.updated_at = clock.now()


def create_question(bank: QuestionBank, fields: dict, *, tags=(), knowledge_point: KnowledgePoint | None = None,
                    id_number: str | None = None, actor=None, change_note: str = "") -> Question:
    """Create a question with its first version from :func:`prepare_fields` output."""
    tags = clean_tags(tags)
    id_number = (id_number or "").strip()[:100] or None
    category = knowledge_point.path if knowledge_point else ""
    identity = identity_for(fields["type"], fields["text"], category, id_number)
    if db.session.scalar(select(Question.id).where(Question.bank_id == bank.id, Question.identity == identity)):
        raise Conflict(_("题库中已有相同的试题（题号或题干相同）。"))
    question = Question(bank_id=bank.id, id_number=id_number, identity=identity, type=fields["type"],
                        knowledge_point_id=knowledge_point.id if knowledge_point else None,
                        created_by_id=actor.id if actor else None)
    question.tags = [QuestionTag(tag=t) for t in tags]
    db.session.add(question)
    db.session.flush()
    version = QuestionVersion(question_id=question.id, number=1, created_by_id=actor.id if actor else None,
                              content_hash=content_hash(fields, tags, category), change_note=change_note[:255],
                              **fields)
    db.session.add(version)
    db.session.flush()
    _copy_to_question(question, version)
    review.submit(version, actor)
    return question


def edit_question(question: QuestionBank, fields: dict, *, tags=None, knowledge_point=None, actor=None,
                  change_note: str = "", expected_version: int | None = None) -> QuestionVersion | None:
    """Append a new version with ``fields`` (from :func:`prepare_fields`); None when nothing changed.

    ``expected_version`` is the version number the editor started from: a concurrent edit gives Conflict
    instead of silently overwriting.
    """
    lock_row(question, "current_version_id", "current_version")
    current = question.current_version
    if expected_version is not None and current is not None and current.number != expected_version:
        raise Conflict(_("这道题已被其他人修改，请刷新后重试。"))
    if current is not None and fields["type"] != current.type:
        raise ValidationError(_("不能更改已有试题的题型，请新建一道题。"))
    tags = clean_tags(question.tag_names if tags is None else tags)
    category = knowledge_point.path if knowledge_point else ""
    digest = content_hash(fields, tags, category)
    question.knowledge_point_id = knowledge_point.id if knowledge_point else None
    if set(tags) != set(question.tag_names):
        question.tags = [QuestionTag(tag=t) for t in tags]
    if current is not None and current.content_hash == digest:
        db.session.flush()
        return None
    number = (db.session.scalar(select(func.max(QuestionVersion.number))
                                .where(QuestionVersion.question_id == question.id)) or 0) + 1
    _withdraw_superseded(question, actor, number)
    version = QuestionVersion(question_id=question.id, number=number, created_by_id=actor.id if actor else None,
                              content_hash=digest, change_note=(change_note or "")[:255], **fields)
    db.session.add(version)
    db.session.flush()
    _copy_to_question(question, version)
    review.submit(version, actor)
    return version


def _withdraw_superseded(question: Question, actor, number: int) -> None:
    """Older versions still waiting in the queue leave it: reviewers decide on the newest content only."""
    waiting = db.session.scalars(select(QuestionVersion).where(QuestionVersion.question_id == question.id,
                                                               QuestionVersion.review_state == "submitted"))
    for old in waiting:
        review.withdraw(old, None, _("已被第 %(n)s 版取代。", n=number))


def pending_count(bank: QuestionBank) -> int:
    """How many versions of the bank's questions wait for review."""
    return db.session.scalar(select(func.count()).select_from(QuestionVersion)
                             .join(Question, Question.id == QuestionVersion.question_id)
                             .where(Question.bank_id == bank.id, QuestionVersion.review_state == "submitted")) or 0


def approve_pending(bank: QuestionBank, actor, comment: str = "") -> tuple[int, int]:
    """Approve every version of the bank waiting for review in one action (a whole import); versions the
    reviewer wrote or submitted are skipped. ``(approved, skipped)``; authorised as a single approval."""
    versions = list(db.session.scalars(
        select(QuestionVersion).join(Question, Question.id == QuestionVersion.question_id)
        .where(Question.bank_id == bank.id, QuestionVersion.review_state == "submitted")
        .order_by(QuestionVersion.id)))
    return review.approve_many(versions, actor, comment)


def set_question_active(question: Question, active: bool) -> None:
    """Retire a question (kept for old attempts, no longer drawn) or bring it back."""
    question.is_active = bool(active)
    db.session.flush()


def versions(question: Question) -> list[QuestionVersion]:
    return list(db.session.scalars(select(QuestionVersion).where(QuestionVersion.question_id == question.id)
                                   .order_by(QuestionVersion.number.desc())))


def get_version(version_id: int) -> QuestionVersion:
    """A pinned version (what an attempt showed)."""
    return get_or_raise(QuestionVersion, version_id, _("试题版本不存在。"))


def question_list_statement(bank: QuestionBank, *, type_name: str = "", difficulty: int | None = None,
                            knowledge_point_id: int | None = None, tag: str = "", q: str = "",
                            include_subpoints: bool = True, active: bool | None = None) -> Select:
    """The bank page's list with its filters: one statement (the current version is joined eagerly)."""
    stmt = select(Question).where(Question.bank_id == bank.id)
    if type_name in TYPES:
        stmt = stmt.where(Question.type == type_name)
    if difficulty:
        stmt = stmt.where(Question.difficulty == difficulty)
    if knowledge_point_id:
        if include_subpoints:
            point = db.session.get(KnowledgePoint, knowledge_point_id)
            if point is not None and point.bank_id == bank.id:
                subtree = select(KnowledgePoint.id).where(
                    KnowledgePoint.bank_id == bank.id,
                    or_(KnowledgePoint.id == point.id, KnowledgePoint.path.startswith(point.path + "/",
                                                                                       autoescape=True)))
                stmt = stmt.where(Question.knowledge_point_id.in_(subtree))
            else:
                stmt = stmt.where(Question.knowledge_point_id == knowledge_point_id)
        else:
            stmt = stmt.where(Question.knowledge_point_id == knowledge_point_id)
    if tag:
        stmt = stmt.where(Question.id.in_(select(QuestionTag.question_id).where(QuestionTag.tag == tag)))
    if q:
        stmt = stmt.where(Question.name.contains(q.strip()[:100], autoescape=True))
    if active is not None:
        stmt = stmt.where(Question.is_active.is_(active))
    return stmt.order_by(Question.id.desc())


def bank_tags(bank: QuestionBank, limit: int = 200) -> list[str]:
    return list(db.session.scalars(
        select(QuestionTag.tag).join(Question, Question.id == QuestionTag.question_id)
        .where(Question.bank_id == bank.id).group_by(QuestionTag.tag).order_by(QuestionTag.tag).limit(limit)))
