"""Question versions go through review (凡编必审): registered here as the reviewable kind ``question_version``.

Every new version (typed in the editor or imported) is submitted on creation; learners only ever get a
question's newest APPROVED version (``Question.approved_version_id``), which approval moves forward and
unpublishing moves back.
"""
from __future__ import annotations

import difflib

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select, update

from app.extensions import db
from app.questions import permissions, sanitize
from app.questions.models import Question, QuestionBank, QuestionVersion
from app.review.registry import register_kind

KIND = "question_version"
MAX_DIFF_LINES = 300


def newest_approved_subquery():
    """Correlated scalar subquery: the id of the newest approved version of the ``question`` row."""
    return (select(QuestionVersion.id)
            .where(QuestionVersion.question_id == Question.id, QuestionVersion.review_state == "approved")
            .order_by(QuestionVersion.number.desc()).limit(1).scalar_subquery())


def refresh_approved(question_ids) -> None:
    """Point each question at its newest approved version (NULL when none is left): one UPDATE per 1,000."""
    wanted = set(question_ids)
    ids = sorted(wanted)
    for start in range(0, len(ids), 1000):
        db.session.execute(update(Question).where(Question.id.in_(ids[start:start + 1000]))
                           .values(approved_version_id=newest_approved_subquery())
                           .execution_options(synchronize_session=False))
    # Loaded questions must not keep a stale pointer.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Question) and obj.id in wanted:
            db.session.expire(obj, ["approved_version_id", "approved_version"])


def as_text(version: QuestionVersion | None) -> str:
    """A version as labelled plain lines for a diff: name, type, points, difficulty, stem, then the type's own
    fields (options, answers, settings — QuestionType.data_lines, never raw JSON), explanation and feedback."""
    if version is None:
        return ""
    from app.core.i18n import fmt_score
    from app.questions.types import TYPES

    qtype = TYPES.get(version.type)
    lines = [_("名称：%(v)s", v=version.name), _("题型：%(v)s", v=qtype.label if qtype else version.type),
             _("分值：%(v)s", v=fmt_score(version.points)), _("难易度：%(v)s", v=version.difficulty),
             _("题干：")]
    lines += sanitize.html_to_text(version.text).splitlines()
    lines += qtype.data_lines(version.data) if qtype else [str(version.data)]
    if version.explanation:
        lines += [_("解析：")] + sanitize.html_to_text(version.explanation).splitlines()
    if version.general_feedback:
        lines += [_("反馈：")] + sanitize.html_to_text(version.general_feedback).splitlines()
    return "\n".join(lines)


def diff_html(old: str, new: str, note: str = "") -> Markup:
    """Changed lines in the review queue's convention (``diff-add``/``diff-del``/``diff-hunk`` spans, one block
    each, no newline between them or ``pre`` shows a blank line after every line; +/- prefixes carry the
    meaning); everything is escaped."""
    spans = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        css = {"+": "diff-add", "-": "diff-del", "@": "diff-hunk"}.get(line[:1], "")
        if css == "diff-hunk" and not spans:
            continue  # the first hunk needs no separator; later ones mark skipped unchanged lines with "…"
        spans.append(Markup('<span class="{}">{}</span>').format(css, "…" if css == "diff-hunk" else line))
        if len(spans) >= MAX_DIFF_LINES:
            break
    return Markup("<p>{}</p><pre class='review-pre small'>{}</pre>").format(note, Markup("").join(spans))


def _context(version: QuestionVersion) -> dict:
    """Bank name and the newest approved older version: set in bulk by ``_prefetch`` for the queue."""
    ctx = getattr(version, "_review_context", None)
    if ctx is None:
        bank_name = db.session.scalar(select(QuestionBank.name).join(Question, Question.bank_id == QuestionBank.id)
                                      .where(Question.id == version.question_id))
        previous = db.session.scalar(
            select(QuestionVersion).where(QuestionVersion.question_id == version.question_id,
                                          QuestionVersion.review_state == "approved",
                                          QuestionVersion.number < version.number)
            .order_by(QuestionVersion.number.desc()).limit(1))
        ctx = {"bank": bank_name, "previous": previous}
    return ctx


def _prefetch(versions: list[QuestionVersion]) -> None:
    """What the queue shows of many versions in two statements: bank names and the approved versions."""
    ids = {v.question_id for v in versions}
    if not ids:
        return
    banks = dict(db.session.execute(select(Question.id, QuestionBank.name)
                                    .join(QuestionBank, QuestionBank.id == Question.bank_id)
                                    .where(Question.id.in_(ids))).all())
    approved: dict[int, list[QuestionVersion]] = {}
    for old in db.session.scalars(select(QuestionVersion).where(QuestionVersion.question_id.in_(ids),
                                                                QuestionVersion.review_state == "approved")
                                  .order_by(QuestionVersion.number.desc())):
        approved.setdefault(old.question_id, []).append(old)
    for version in versions:
        previous = next((o for o in approved.get(version.question_id, []) if o.number < version.number), None)
        version._review_context = {"bank": banks.get(version.question_id, ""), "previous": previous}


def _title(version: QuestionVersion) -> str:
    return _("题库“%(bank)s” · 试题“%(name)s” 第 %(n)s 版", bank=_context(version)["bank"], name=version.name,
             n=version.number)


def _url(version: QuestionVersion) -> str:
    return url_for("questions.question", question_id=version.question_id, v=version.number)


def _diff(version: QuestionVersion) -> Markup:
    previous = _context(version)["previous"]
    note = version.change_note if previous is not None else _("新试题（尚无已通过的版本）。%(note)s",
                                                               note=version.change_note)
    return diff_html(as_text(previous), as_text(version), note)


def _can_submit(user, version: QuestionVersion) -> bool:
    bank = db.session.scalar(select(QuestionBank).join(Question, Question.bank_id == QuestionBank.id)
                             .where(Question.id == version.question_id))
    return bank is not None and permissions.can_edit_bank(user, bank)


register_kind(
    KIND, model=QuestionVersion, label=_l("试题"), title=_title, url=_url, diff=_diff,
    owner_id=lambda version: version.created_by_id, prefetch=_prefetch,
    on_approve=lambda version: refresh_approved([version.question_id]),
    on_approve_many=lambda versions: refresh_approved([v.question_id for v in versions]),
    on_withdraw=lambda version: refresh_approved([version.question_id]),
    can_submit=_can_submit,
)
