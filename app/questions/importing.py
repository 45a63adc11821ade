"""Question import and export: parse (formats registry), validate everything, then write all or nothing.

Used by the import page and by ``flask questions import`` / ``export``. Writing is done in bulk (a handful
of multi-row INSERTs whatever the file size), so 10,000 questions take seconds, not minutes.

Identity: a question in a file is the same as one in the bank when its ID number matches, else when the hash
of its type, text and category matches; an unchanged question is left alone, a changed one gets a new
version. Importing the same file twice therefore creates nothing the second time.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, func, insert, literal, select, update

from app.core import clock
from app.errors import DomainError, ValidationError
from app.extensions import db
from app.questions import review, sanitize, services
from app.questions.formats import FORMATS, ParseResult, detect, format_label, get_format  # noqa: F401  (FORMATS used by views)
from app.questions.models import Question, QuestionBank, QuestionTag, QuestionVersion
from app.questions.types import TYPES
from app.review.models import ReviewRecord

#: Largest file accepted (Moodle XML with pictures can be big); ``QUESTION_IMPORT_MAX_BYTES`` overrides.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
#: Keys of an interchange question, in the order the JSON output shows them.
PUBLIC_KEYS = ("type", "name", "text", "category", "id_number", "tags", "points", "general_feedback", "answers",
               "pairs", "difficulty", "explanation")
_PLUGINFILE = re.compile(r"@@PLUGINFILE@@/([^\"'<>\s)]+)")


@dataclass
class Planned:
    """One validated question ready to write."""

    location: dict
    fields: dict
    tags: list[str]
    category: str
    id_number: str | None
    identity: str
    digest: str
    #: "create", "update" (a new version) or "unchanged" — set by :func:`plan`.
    action: str = "create"
    question_id: int | None = None


@dataclass
class ImportReport:
    format: str
    questions: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Questions now in the bank from this file (0 when nothing was written).
    imported: int = 0
    bank_key: str = ""
    bank_created: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def format_label(self) -> str:
        """The format as people name it (GIFT 格式, Moodle XML, Excel), not its key."""
        return format_label(self.format)

    def counts_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for q in self.questions:
            counts[q["type"]] = counts.get(q["type"], 0) + 1
        return counts

    def to_json(self) -> dict:
        """The ``--json`` object: format, imported, questions, errors (plus counts and warnings)."""
        return {"format": self.format, "imported": self.imported,
                "questions": [public_question(q) for q in self.questions], "errors": self.errors,
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "dry_run": self.dry_run, "warnings": self.warnings, "bank": self.bank_key}


def public_question(q: dict) -> dict:
    """The documented keys in their order, then the type's own settings the file carried (``scoring`` of a
    weighted multiple choice, ``case_sensitive``, ``shuffle`` ...), so the output re-imports without loss."""
    out = {k: q.get(k) for k in PUBLIC_KEYS}
    out.update((k, v) for k, v in q.items() if k not in out and not k.startswith("_"))
    return out


def _location(q: dict) -> dict:
    if "_row" in q:
        return {"row": q["_row"]}
    return {"line": q.get("_line", 0)}


def max_bytes() -> int:
    return int(current_app.config.get("QUESTION_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def parse(filename: str, data: bytes, fmt: str = "auto") -> ParseResult:
    """Read a file with the named format (or the detected one). Errors of the file as a whole raise
    ValidationError; errors of single questions are listed in the result with their line or row."""
    if len(data) > max_bytes():
        raise ValidationError(_("文件过大（上限 %(mb)s MB）。", mb=max_bytes() // 2**20))
    if not data.strip():
        raise ValidationError(_("文件是空的。"))
    reader = detect(filename, data) if fmt in ("", "auto", None) else get_format(fmt)
    if not reader.can_import:
        raise ValidationError(_("格式 %(name)s 不能导入。", name=format_label(reader.name)))
    return reader.parse(data, filename)


def validate(parsed: ParseResult) -> list[Planned]:
    """Turn interchange questions into version fields; errors are added to ``parsed.errors``."""
    planned: list[Planned] = []
    seen: dict[str, dict] = {}
    for q in parsed.questions:
        location = _location(q)
        try:
            qtype = TYPES.get(q.get("type"))
            if qtype is None:
                raise ValidationError(_("未知的题型：%(name)s", name=q.get("type")))
            text = q.get("text") or ""
            data = qtype.from_interchange(q)
            fields = services.prepare_fields(q["type"], text=text, data=data, name=q.get("name") or "",
                                             points=q.get("points"), difficulty=q.get("difficulty"),
                                             explanation=q.get("explanation") or "",
                                             general_feedback=q.get("general_feedback") or "")
            tags = services.clean_tags(q.get("tags") or [])
            id_number = (str(q.get("id_number") or "").strip() or None)
            if id_number and len(id_number) > 100:
                raise ValidationError(_("题号过长（上限 100 字）。"))
            category = "/".join(services.split_path(q.get("category") or ""))
        except DomainError as exc:
            parsed.errors.append({**location, "message": exc.message})
            continue
        except (TypeError, ValueError, AttributeError, KeyError):
            # A value of the wrong kind deep in a hand-written file (a list where text belongs, a blank number
            # that is not a number ...): reported at its question like any other error, never a crash.
            parsed.errors.append({**location, "message": _("试题的字段格式错误，请对照导入说明检查。")})
            continue
        identity = services.identity_for(fields["type"], fields["text"], category, id_number)
        if identity in seen:
            if id_number:
                parsed.errors.append({**location, "message": _("题号 %(id)s 在文件中重复（另见%(where)s）。", id=id_number,
                                                               where=_where(seen[identity]))})
            else:
                parsed.warnings.append(_("%(where)s 与%(other)s 是同一道题，只导入一次。", where=_where(location),
                                         other=_where(seen[identity])))
            continue
        seen[identity] = location
        # Show what will be stored: the default name, points and difficulty filled in.
        q["name"], q["points"], q["difficulty"] = fields["name"], fields["points"], fields["difficulty"]
        planned.append(Planned(location, fields, tags, category, id_number, identity,
                               services.content_hash(fields, tags, category)))
    parsed.errors.sort(key=lambda e: e.get("line", e.get("row", 0)))
    return planned


def _where(location: dict) -> str:
    if "row" in location:
        return _("第 %(n)s 行", n=location["row"])
    return _("第 %(n)s 行", n=location.get("line", 0))


def plan(bank: QuestionBank | None, planned: list[Planned]) -> None:
    """Mark each question create / update / unchanged against the bank (one SELECT)."""
    if bank is None or bank.id is None:
        return
    existing = {identity: (qid, digest) for identity, qid, digest in db.session.execute(
        select(Question.identity, Question.id, QuestionVersion.content_hash)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id))}
    for item in planned:
        found = existing.get(item.identity)
        if found is None:
            continue
        item.question_id = found[0]
        item.action = "unchanged" if found[1] == item.digest else "update"


def import_file(filename: str, data: bytes, *, bank_key: str, fmt: str = "auto", profession=None, actor=None,
                dry_run: bool = False, progress: Callable[[str, int, int], None] | None = None) -> ImportReport:
    """Import questions from a file into the bank ``bank_key`` (created when missing).

    Everything is parsed and validated first; with any error, or with ``dry_run``, nothing is written and
    the report says what would have been created. The caller commits.
    """
    report_progress = progress or (lambda stage, done, total: None)
    report_progress("parse", 0, 1)
    parsed = parse(filename, data, fmt)
    report_progress("parse", 1, 1)
    planned = validate(parsed)
    if not parsed.questions and not parsed.errors:
        parsed.errors.append({"row" if parsed.format == "xlsx" else "line": 1,
                              "message": _("文件中没有找到试题（%(format)s）。", format=format_label(parsed.format))})
    bank = services.bank_by_key(bank_key)
    if bank is None:
        services.check_bank_key(bank_key)
    plan(bank, planned)
    report = ImportReport(format=parsed.format, questions=parsed.questions, errors=parsed.errors,
                          warnings=parsed.warnings, encoding=parsed.encoding, dry_run=dry_run,
                          bank_key=(bank_key or "").strip().lower())
    for item in planned:
        setattr(report, {"create": "created", "update": "updated", "unchanged": "unchanged"}[item.action],
                getattr(report, {"create": "created", "update": "updated", "unchanged": "unchanged"}[item.action]) + 1)
    if report.errors or dry_run:
        return report
    if bank is None:
        bank, report.bank_created = services.ensure_bank(bank_key, profession=profession, actor=actor)
    write(bank, planned, parsed, actor=actor, note=_("从 %(name)s 导入", name=(filename or parsed.format)[-200:]),
          progress=report_progress)
    report.imported = len(planned)
    return report


# --------------------------------------------------------------------------------------------- write

def _store_files(bank: QuestionBank, parsed: ParseResult, planned: list[Planned]) -> dict[str, str]:
    """Store the embedded files the questions use; name -> URL. Unusable files are dropped with a warning."""
    from app.questions import media

    used = set()
    for item in planned:
        for value in (item.fields["text"], item.fields["explanation"], item.fields["general_feedback"],
                      str(item.fields["data"])):
            used.update(_PLUGINFILE.findall(value))
    urls: dict[str, str] = {}
    for name in sorted(used):
        content = parsed.files.get(name) or parsed.files.get(_unquote(name))
        if content is None:
            parsed.warnings.append(_("文件中引用的附件 %(name)s 不存在，已忽略。", name=name))
            continue
        record = media.store_question_file(bank, _unquote(name), content)
        if record is None:
            parsed.warnings.append(_("附件 %(name)s 不是支持的图片或音频，已忽略。", name=name))
            continue
        urls[name] = media.file_url(record)
    return urls


def _unquote(name: str) -> str:
    from urllib.parse import unquote

    return unquote(name)


def _rewrite(value, urls: dict[str, str]):
    if isinstance(value, str):
        if "@@PLUGINFILE@@" not in value:
            return value
        return sanitize.clean_html(_PLUGINFILE.sub(lambda m: urls.get(m.group(1), ""), value))
    if isinstance(value, list):
        return [_rewrite(v, urls) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite(v, urls) for k, v in value.items()}
    return value


CHUNK = 1000
_QUESTION = Question.__table__
_VERSION = QuestionVersion.__table__
# No RETURNING in the bulk statements: SQLite cannot keep RETURNING rows in parameter order, so SQLAlchemy
# would fall back to one INSERT per row. Ids are looked up afterwards by the (unique) identity instead, and
# the current-version pointers are set by set-based UPDATEs.
_POINT_NEW = (update(_QUESTION).where(_QUESTION.c.bank_id == bindparam("bank"), _QUESTION.c.current_version_id.is_(None))
              .values(current_version_id=select(_VERSION.c.id).where(_VERSION.c.question_id == _QUESTION.c.id,
                                                                      _VERSION.c.number == 1)
                      .scalar_subquery()))
_POINT_CHANGED = (update(_QUESTION).where(_QUESTION.c.id == bindparam("qid"))
                  .values(current_version_id=select(_VERSION.c.id)
                          .where(_VERSION.c.question_id == bindparam("qid"), _VERSION.c.number == bindparam("n"))
                          .scalar_subquery(),
                          type=bindparam("type"), difficulty=bindparam("difficulty"), points=bindparam("points"),
                          name=bindparam("name"), knowledge_point_id=bindparam("kp"), updated_at=bindparam("now")))


def write(bank: QuestionBank, planned: list[Planned], parsed: ParseResult | None = None, *, actor=None,
          note: str = "", progress: Callable[[str, int, int], None] | None = None) -> None:
    """Write validated questions in bulk: new ones get a question and a first version, changed ones a new
    version, unchanged ones nothing. A fixed handful of statements per 1,000 questions."""
    from sqlalchemy import delete

    report_progress = progress or (lambda stage, done, total: None)
    if parsed is not None and parsed.files:
        urls = _store_files(bank, parsed, planned)
        for item in planned:
            item.fields = {k: _rewrite(v, urls) for k, v in item.fields.items()}
    points = services.ensure_knowledge_points(bank, [p.category for p in planned])
    now = clock.now()
    actor_id = actor.id if actor else None
    new = [p for p in planned if p.action == "create"]
    changed = [p for p in planned if p.action == "update"]
    # Versions written by this import are those above the newest id now (it is our transaction's work).
    baseline = db.session.scalar(select(func.max(_VERSION.c.id))) or 0
    total = len(new) + len(changed)
    done = 0
    for start in range(0, len(new), CHUNK):
        chunk = new[start:start + CHUNK]
        db.session.execute(insert(_QUESTION), [
            {"bank_id": bank.id, "id_number": p.id_number, "identity": p.identity, "type": p.fields["type"],
             "difficulty": p.fields["difficulty"], "points": p.fields["points"], "name": p.fields["name"],
             "knowledge_point_id": points.get(p.category) if p.category else None, "is_active": True,
             "created_by_id": actor_id, "created_at": now, "updated_at": now} for p in chunk])
        ids = dict(db.session.execute(select(_QUESTION.c.identity, _QUESTION.c.id).where(
            _QUESTION.c.bank_id == bank.id, _QUESTION.c.identity.in_([p.identity for p in chunk]))).all())
        for p in chunk:
            p.question_id = ids[p.identity]
        _insert_versions(chunk, {p.question_id: 1 for p in chunk}, actor_id, now, note)
        done += len(chunk)
        report_progress("write", done, total)
    if new:
        db.session.execute(_POINT_NEW, {"bank": bank.id})
    for start in range(0, len(changed), CHUNK):
        chunk = changed[start:start + CHUNK]
        qids = [p.question_id for p in chunk]
        numbers = dict(db.session.execute(
            select(QuestionVersion.question_id, func.max(QuestionVersion.number))
            .where(QuestionVersion.question_id.in_(qids)).group_by(QuestionVersion.question_id)).all())
        next_numbers = {qid: numbers.get(qid, 0) + 1 for qid in qids}
        _withdraw_superseded(qids, now)
        _insert_versions(chunk, next_numbers, actor_id, now, note)
        db.session.execute(_POINT_CHANGED, [
            {"qid": p.question_id, "n": next_numbers[p.question_id], "type": p.fields["type"],
             "difficulty": p.fields["difficulty"], "points": p.fields["points"], "name": p.fields["name"],
             "kp": points.get(p.category) if p.category else None, "now": now} for p in chunk])
        db.session.execute(delete(QuestionTag).where(QuestionTag.question_id.in_(qids)))
        done += len(chunk)
        report_progress("write", done, total)
    tag_rows = [{"question_id": p.question_id, "tag": t} for p in new + changed for t in p.tags]
    if tag_rows:
        db.session.execute(insert(QuestionTag.__table__), tag_rows)
    if new or changed:
        _record_submissions(bank, baseline, actor_id, now)


_RECORD = ReviewRecord.__table__
_RECORD_COLUMNS = ["kind", "object_id", "from_state", "to_state", "actor_id", "comment", "created_at"]


def _record_rows(where, from_state: str, to_state: str, actor_id, comment: str, now):
    return insert(_RECORD).from_select(_RECORD_COLUMNS, select(
        literal(review.KIND), _VERSION.c.id, literal(from_state), literal(to_state),
        literal(actor_id, type_=Integer), literal(comment), literal(now, type_=_RECORD.c.created_at.type))
        .where(where))


def _withdraw_superseded(qids: list[int], now) -> None:
    """Versions of these questions still waiting for review leave the queue (the import brings newer
    content): two set-based statements, history recorded."""
    waiting = (_VERSION.c.question_id.in_(qids)) & (_VERSION.c.review_state == "submitted")
    db.session.execute(_record_rows(waiting, "submitted", "withdrawn", None, _("已被重新导入的版本取代。"), now))
    db.session.execute(update(_VERSION).where(waiting).values(review_state="withdrawn"))


def _record_submissions(bank: QuestionBank, baseline: int, actor_id, now) -> None:
    """The review history of every version this import wrote: submitted by the importer (one statement)."""
    mine = (_VERSION.c.id > baseline) & _VERSION.c.question_id.in_(
        select(_QUESTION.c.id).where(_QUESTION.c.bank_id == bank.id))
    db.session.execute(_record_rows(mine, "draft", "submitted", actor_id, "", now))


def _insert_versions(items: list[Planned], numbers: dict[int, int], actor_id, now, note: str) -> None:
    db.session.execute(insert(_VERSION), [
        {"question_id": p.question_id, "number": numbers[p.question_id], **p.fields, "content_hash": p.digest,
         "change_note": note[:255], "created_by_id": actor_id, "created_at": now,
         # Imported versions wait for review like typed ones (凡编必审); a reviewer approves a whole import
         # in one action (services.approve_pending).
         "review_state": "submitted", "submitted_by_id": actor_id, "submitted_at": now} for p in items])


# -------------------------------------------------------------------------------------------- export

def interchange(question: Question, version: QuestionVersion, category: str, tags: list[str]) -> dict:
    """A stored question as an interchange dict (the shape imports read)."""
    qtype = TYPES[version.type]
    body = qtype.to_interchange(version.data)
    return {"type": version.type, "name": version.name, "text": version.text, "category": category,
            "id_number": question.id_number, "tags": tags, "points": version.points,
            "general_feedback": version.general_feedback, "difficulty": version.difficulty,
            "explanation": version.explanation, **body}


def export_bank(bank: QuestionBank, fmt: str) -> tuple[bytes, str, str]:
    """The bank's active questions in a format: (bytes, mimetype, file extension). Three statements."""
    from app.questions.models import KnowledgePoint

    writer = get_format(fmt)
    if not writer.can_export:
        raise ValidationError(_("格式 %(name)s 不能导出。", name=fmt))
    paths = dict(db.session.execute(select(KnowledgePoint.id, KnowledgePoint.path)
                                    .where(KnowledgePoint.bank_id == bank.id)).all())
    tags: dict[int, list[str]] = {}
    for qid, tag in db.session.execute(select(QuestionTag.question_id, QuestionTag.tag)
                                       .join(Question, Question.id == QuestionTag.question_id)
                                       .where(Question.bank_id == bank.id).order_by(QuestionTag.tag)):
        tags.setdefault(qid, []).append(tag)
    rows = db.session.execute(select(Question, QuestionVersion)
                              .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
                              .where(Question.bank_id == bank.id, Question.is_active.is_(True))
                              .order_by(Question.knowledge_point_id, Question.id)
                              .execution_options(populate_existing=False)).all()
    questions = [interchange(q, v, paths.get(q.knowledge_point_id, ""), tags.get(q.id, [])) for q, v in rows]
    return writer.export(questions, bank_name=bank.name), writer.mimetype, writer.extensions[0]
