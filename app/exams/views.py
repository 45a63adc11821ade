"""Exam pages (teachers: exams, access, grading, regrading, reports, exports; students: taking and results) and
the JSON API (app/exams/api.py)."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from sqlalchemy import select

from app.auth.forms import ConfirmForm
from app.auth.services import find_user, require
from app.core import clock
from app.core.database import begin_write
from app.core.templating import NAVIGATION
from app.core.exports import download_name, to_csv, to_xlsx
from app.core.pagination import paginate
from app.errors import FORM_REFUSED_STATUS, DomainError, NotFound, ValidationError, form_refused, get_or_raise
from app.exams import forms, permissions, reports, review, services
from app.exams.api import api
from app.exams.models import Attempt
from app.extensions import db
from app.questions import types as qtypes
from app.questions.models import Question, QuestionBank

bp = Blueprint("exams", __name__)
bp.register_blueprint(api)

NAVIGATION.append(("exams.mine", _l("我的考试"), {"student"}, "teaching"))
NAVIGATION.append(("exams.index", _l("考试管理"), {"teacher", "school_admin", "platform_admin"}, "teaching"))


def _managed_exam(exam_id: int):
    exam = services.get_exam(exam_id)
    require(permissions.can_manage_exam(current_user, exam))
    return exam


# -- teachers: exams ----------------------------------------------------------------------------------------------

@bp.route("/exams")
@login_required
def index():
    require(permissions.can_create_exam(current_user))
    page = paginate(services.exams_managed_by(current_user))
    return render_template("exams/index.html", page=page)


def _bank_choices():
    stmt = select(QuestionBank.id, QuestionBank.name).order_by(QuestionBank.name)
    if not current_user.has_role("platform_admin"):
        stmt = stmt.where((QuestionBank.school_id.is_(None)) | (QuestionBank.school_id == current_user.school_id))
    return [(bid, name) for bid, name in db.session.execute(stmt)]


@bp.route("/exams/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_create_exam(current_user))
    form = forms.NewExamForm()
    form.bank_id.choices = _bank_choices()
    if request.method == "GET":
        form.fill_review(review.DEFAULT_POLICY)
    if form.validate_on_submit():
        try:
            exam = _create_exam(form)
        except DomainError as exc:
            return form_refused(exc, "exams/form.html", form=form, field="bank_id", exam=None,
                                draw_types=forms.DRAW_TYPES)
        db.session.commit()
        flash(_("考试“%(t)s”已创建，请添加考生。", t=exam.title), "success")
        return redirect(url_for("exams.detail", exam_id=exam.id))
    return render_template("exams/form.html", form=form, exam=None, draw_types=forms.DRAW_TYPES)


def _create_exam(form):
    bank = db.session.get(QuestionBank, form.bank_id.data)
    draws = form.draws()
    if not draws:
        raise ValidationError(_("请至少为一种题型填写抽题数量。"))
    paper = services.create_paper(title=form.title.data, school_id=current_user.school_id, creator=current_user)
    for qtype, count in draws:
        services.add_paper_rule(paper, bank=bank, qtype=qtype, count=count, points=form.points.data,
                                difficulty=form.difficulty.data or None)
    return services.create_exam(paper=paper, creator=current_user, school_id=current_user.school_id,
                                **form.exam_fields())


@bp.route("/exams/<int:exam_id>/edit", methods=["GET", "POST"])
@login_required
def edit(exam_id: int):
    """Settings, review options and (for papers the form can show) draw rules; the last two only until the first
    attempt — a refusal comes back on this form, with what was typed and the reason beside the fieldset."""
    exam = _managed_exam(exam_id)
    draw = services.simple_draw(exam.paper)
    form = forms.NewExamForm(obj=exam)
    if draw is None:
        form.drop_draws()
    else:
        form.bank_id.choices = _bank_choices()
        if draw["bank_id"] not in {bid for bid, _name in form.bank_id.choices}:  # a bank shared with the school
            bank = db.session.get(QuestionBank, draw["bank_id"])
            form.bank_id.choices.append((bank.id, bank.name))
    if request.method == "GET":
        form.opens_at.data = forms.utc_to_local(exam.opens_at)
        form.closes_at.data = forms.utc_to_local(exam.closes_at)
        form.fill_review(exam.review_policy)
        if draw is not None:
            form.fill_draws(draw)
    errors = {}
    if form.validate_on_submit():
        try:
            services.update_exam(exam, **form.exam_fields())
            if draw is not None and form.draws_changed(draw):
                services.replace_draw_rules(exam, bank=db.session.get(QuestionBank, form.bank_id.data),
                                            draws=form.draws(), points=form.points.data,
                                            difficulty=form.difficulty.data or None)
        except DomainError as exc:
            db.session.rollback()
            where = exc.details.get("field") if isinstance(exc.details, dict) else None
            errors[where if where in ("review", "rules") else "form"] = exc.message
        else:
            db.session.commit()
            flash(_("考试设置已保存。"), "success")
            return redirect(url_for("exams.detail", exam_id=exam.id))
    return render_template("exams/form.html", form=form, exam=exam, draw=draw, errors=errors,
                           draw_types=forms.DRAW_TYPES if draw is not None else [],
                           rules=[services.describe_rule(r) for r in exam.paper.rules],
                           started=services.exam_started(exam))


@bp.route("/exams/<int:exam_id>")
@login_required
def detail(exam_id: int):
    exam = services.get_exam(exam_id)
    if permissions.can_manage_exam(current_user, exam):
        attempts = paginate(services.attempts_of_exam(exam))
        return render_template("exams/manage.html", exam=exam, attempts=attempts, grants=services.list_grants(exam),
                               rules=[services.describe_rule(r) for r in exam.paper.rules],
                               problems=services.paper_problems(exam.paper), grant_form=forms.GrantForm(),
                               confirm=ConfirmForm(), window=services.exam_window_state(exam))
    grant = services.grant_of(exam.id, current_user.id)
    if not permissions.can_take_exam(current_user, exam, grant):
        raise NotFound(_("考试不存在。"))
    attempts = list(db.session.scalars(select(Attempt).where(Attempt.exam_id == exam.id,
                                                             Attempt.user_id == current_user.id)
                                       .order_by(Attempt.number)))
    return render_template("exams/student_exam.html", exam=exam, grant=grant, attempts=attempts,
                           window=services.exam_window_state(exam), confirm=ConfirmForm())


@bp.route("/exams/<int:exam_id>/grants", methods=["POST"])
@login_required
def grant(exam_id: int):
    exam = _managed_exam(exam_id)
    form = forms.GrantForm()
    if not form.validate_on_submit():
        return form_refused(ValidationError(_("请填写用户名。")), detail, exam_id=exam.id)
    names = [n.strip() for n in form.usernames.data.replace(",", "\n").splitlines() if n.strip()]
    users = {name: find_user(name) for name in names}
    # Unknown users and other schools' users get the same answer: usernames elsewhere cannot be probed.
    missing = [n for n, user in users.items() if not permissions.can_grant_exam_to(current_user, exam, user)]
    if missing:  # the list comes back as typed, to correct the names
        return form_refused(ValidationError(_("以下用户不存在或不属于本校：%(names)s", names="、".join(missing))),
                            detail, exam_id=exam.id)
    for user in users.values():
        services.grant_access(exam, user, extra_minutes=form.extra_minutes.data or 0)
    db.session.commit()
    flash(_("已为 %(n)s 名考生开通考试。", n=len(names)), "success")
    return redirect(url_for("exams.detail", exam_id=exam.id))


@bp.route("/exams/<int:exam_id>/grants/<int:user_id>/revoke", methods=["POST"])
@login_required
def revoke(exam_id: int, user_id: int):
    exam = _managed_exam(exam_id)
    collected = services.revoke_access(exam, user_id, by=current_user._get_current_object())
    db.session.commit()
    flash(_("已取消该考生的考试资格，正在进行的作答已收卷。") if collected else _("已取消该考生的考试资格。"), "success")
    return redirect(url_for("exams.detail", exam_id=exam.id))


# -- students -------------------------------------------------------------------------------------------------------

@bp.route("/my/exams")
@login_required
def mine():
    return render_template("exams/mine.html", rows=services.exams_for_student(current_user.id),
                           window=services.exam_window_state)


@bp.route("/exams/<int:exam_id>/start", methods=["POST"])
@login_required
def start(exam_id: int):
    begin_write()
    exam = services.get_exam(exam_id)
    try:
        attempt, _created = services.start_attempt(exam, current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("exams.detail", exam_id=exam_id))
    db.session.commit()
    return redirect(url_for("exams.attempt", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    record = services.get_attempt(attempt_id)
    if not permissions.can_view_attempt(current_user, record):
        raise NotFound(_("答卷不存在。"))
    if services.is_overdue(record):
        begin_write()
        services.close_attempt(attempt_id, closed_by="timeout")
        db.session.commit()
        record = services.get_attempt(attempt_id)
    own = record.user_id == current_user.id
    if own and record.state == "in_progress":
        view = services.attempt_view(record)
        return render_template("exams/take.html", attempt=record, view=view, confirm=ConfirmForm())
    view = services.attempt_view(record, everything=not own, display=True)
    return render_template("exams/result.html", attempt=record, view=view, own=own,
                           history=services.attempt_history(record) if not own else [],
                           aspects=set(review.ASPECTS) if not own else review.visible_aspects(record, record.exam))


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int):
    """The page's submit button (the script uses the API; this works without it)."""
    user_id = current_user.id
    begin_write()
    services.close_attempt(attempt_id, closed_by="student", user_id=user_id)
    db.session.commit()
    record = services.get_attempt(attempt_id)
    if record.user_id != user_id:
        raise NotFound(_("答卷不存在。"))
    flash(_("已交卷。"), "success")
    return redirect(url_for("exams.attempt", attempt_id=attempt_id))


@bp.route("/exams/files/<int:file_id>")
@login_required
def attempt_file(file_id: int):
    """A file attached to an essay answer: for its student and the exam's teachers only."""
    from app.core.fileserve import send_stored

    record = services.get_file(file_id)
    item = services.get_item(record.attempt_item_id)
    if not permissions.can_view_attempt(current_user, item.attempt):
        raise NotFound(_("文件不存在。"))
    return send_stored(record.storage_key, mimetype=record.mime, etag=record.sha256, filename=record.original_name,
                       attachment=not record.mime.startswith("image/"))


# -- grading --------------------------------------------------------------------------------------------------------

@bp.route("/exams/<int:exam_id>/grading")
@login_required
def grading(exam_id: int):
    exam = _managed_exam(exam_id)
    return _grading_page(exam, request.args)


def _grading_page(exam, args, *, rubric_form=None, refused_item=None, error=None, status=200):
    """The marking queue filtered by ``args`` (question, user, graded); a refused mark or rubric comes back here
    with what was typed (``refused_item``, ``rubric_form``) and the reason beside it."""
    question_id = args.get("question", type=int)
    user_id = args.get("user", type=int)
    graded = args.get("graded") == "1"
    page = paginate(services.grading_queue(exam, question_id=question_id, user_id=user_id, graded=graded),
                    per_page=10)
    rubrics = services.rubrics_of_exam(exam.id)
    if rubric_form is None and question_id is not None and question_id in {
            q["question_id"] for q in services.exam_questions(exam) if q["type"] in services.manual_types()}:
        rubric_form = forms.RubricForm()
        if question_id in rubrics:
            rubric_form.criteria.data = services.rubric_text(rubrics[question_id])
    return render_template("exams/grading.html", exam=exam, summary=services.queue_summary(exam), page=page,
                           question_id=question_id, user_id=user_id, graded=graded, form=forms.GradeForm(),
                           views=_grading_views(page.items), rubrics=rubrics, rubric_form=rubric_form,
                           history=services.grades_by_item([i.id for i in page.items]),
                           refused_item=refused_item, error=error,
                           back_url=url_for("exams.grading", exam_id=exam.id, **args.to_dict())), status


def _grading_views(items) -> dict:
    files = services.files_by_item([i.id for i in items])
    return {i.id: services.item_view(i, set(review.ASPECTS), files.get(i.id), display=True) for i in items}


@bp.route("/exams/<int:exam_id>/rubrics/<int:question_id>", methods=["POST"])
@login_required
def set_rubric(exam_id: int, question_id: int):
    """Give a hand-graded question of this exam its rubric (评分量规)."""
    exam = _managed_exam(exam_id)
    question = get_or_raise(Question, question_id, _("题目不存在。"))
    back = url_for("exams.grading", exam_id=exam.id, question=question.id)
    form = forms.RubricForm()
    args = MultiDict({"question": str(question.id)})
    if not form.validate_on_submit():
        if not form.criteria.errors:
            form.criteria.errors = [*form.criteria.errors, _("请填写评分量规。")]
        return _grading_page(exam, args, rubric_form=form, status=FORM_REFUSED_STATUS)
    try:
        services.set_rubric(exam, question, form.criteria.data, by=current_user)
    except DomainError as exc:
        return form_refused(exc, lambda: _grading_page(exam, args, rubric_form=form), form=form, field="criteria")
    db.session.commit()
    flash(_("评分量规已保存。"), "success")
    return redirect(back)


@bp.route("/exams/items/<int:item_id>/grade", methods=["POST"])
@login_required
def grade(item_id: int):
    item = services.get_item(item_id)
    require(permissions.can_manage_exam(current_user, item.attempt.exam))
    form = forms.GradeForm()
    back = request.form.get("back") or url_for("exams.grading", exam_id=item.attempt.exam_id)
    args = MultiDict(parse_qsl(urlsplit(back).query))
    if not form.validate_on_submit():
        return _grading_page(item.attempt.exam, args, refused_item=item.id, error=_("请填写有效的得分。"),
                             status=FORM_REFUSED_STATUS)
    levels = {key[len("level-"):]: value for key, value in request.form.items() if key.startswith("level-")}
    try:
        if levels or services.rubric_for(item.attempt.exam_id, item.question_id) is not None:
            services.grade_with_rubric(item, levels, comment=form.comment.data, grader=current_user)
        else:
            services.grade_manually(item, score=form.score.data, comment=form.comment.data, grader=current_user)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        db.session.rollback()
        return _grading_page(item.attempt.exam, args, refused_item=item.id, error=exc.message,
                             status=FORM_REFUSED_STATUS)
    db.session.commit()
    flash(_("已评分。"), "success")
    return redirect(_safe(back, item))


def _safe(target, item):
    from app.core.security import safe_next_url

    return safe_next_url(target, url_for("exams.grading", exam_id=item.attempt.exam_id))


@bp.route("/exams/<int:exam_id>/regrade", methods=["GET"])
@login_required
def regrade_list(exam_id: int):
    exam = _managed_exam(exam_id)
    return render_template("exams/regrade.html", exam=exam, questions=services.exam_questions(exam),
                           confirm=ConfirmForm(), types=qtypes.TYPES)


@bp.route("/exams/<int:exam_id>/regrade/<int:question_id>", methods=["POST"])
@login_required
def regrade(exam_id: int, question_id: int):
    exam = _managed_exam(exam_id)
    question = db.session.get(Question, question_id)
    if question is None:
        abort(404)
    try:
        changed = services.regrade_question(exam, question, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("已按最新版本重新评分，%(n)s 份答卷的得分有变化。", n=changed), "success")
    return redirect(url_for("exams.regrade_list", exam_id=exam.id))


# -- reports and exports ----------------------------------------------------------------------------------------

@bp.route("/exams/<int:exam_id>/report")
@login_required
def report(exam_id: int):
    exam = _managed_exam(exam_id)
    return render_template("exams/report.html", exam=exam, report=reports.build_report(exam), types=qtypes.TYPES)


@bp.route("/exams/<int:exam_id>/results.<fmt>")
@login_required
def export(exam_id: int, fmt: str):
    exam = _managed_exam(exam_id)
    headers = reports.result_headers()
    rows = reports.result_rows(exam, state_label=_attempt_state, closed_label=_closed_by)
    stamp = clock.stamp()
    if fmt == "csv":
        body, mimetype = to_csv(headers, rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = to_xlsx(headers, rows, title=_("成绩"))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return body, 200, {"Content-Type": mimetype, **download_name(f"{exam.title}-{_('成绩')}-{stamp}.{fmt}")}


# -- template helpers -------------------------------------------------------------------------------------------

STATE_LABELS = {"in_progress": _l("作答中"), "submitted": _l("已交卷"), "needs_grading": _l("待人工评分"),
                "graded": _l("已评分")}
CLOSED_BY_LABELS = {"student": _l("考生交卷"), "timeout": _l("到时自动交卷"), "teacher": _l("教师收卷")}
WINDOW_LABELS = {"not_open": _l("未开始"), "open": _l("进行中"), "closed": _l("已结束")}
CORRECT_LABELS = {"right": _l("正确"), "partial": _l("部分正确"), "wrong": _l("错误")}
GRADE_REASONS = {"auto": _l("自动评分"), "manual": _l("人工评分"), "regrade": _l("重新评分")}
#: Why an attempt changed state (AttemptEvent.reason), as shown in the attempt's history.
EVENT_REASONS = {"start": _l("开始作答"), "submit": _l("考生交卷"), "timeout": _l("到时自动交卷"),
                 "teacher": _l("教师收卷"), "autograde": _l("自动评分"), "manual": _l("人工评分"),
                 "regrade": _l("重新评分")}


@bp.app_template_filter("attempt_state")
def _attempt_state(value: str) -> str:
    return str(STATE_LABELS.get(value, value))


@bp.app_template_filter("closed_by")
def _closed_by(value: str | None) -> str:
    return str(CLOSED_BY_LABELS.get(value, value or ""))


@bp.app_template_filter("event_reason")
def _event_reason(value: str | None) -> str:
    return str(EVENT_REASONS.get(value, value or ""))


@bp.app_template_filter("exam_window")
def _exam_window(value: str) -> str:
    return str(WINDOW_LABELS.get(value, value))


@bp.app_template_filter("correctness")
def _correctness(value: str) -> str:
    return str(CORRECT_LABELS.get(value, value))


@bp.app_template_filter("grade_reason")
def _grade_reason(value: str) -> str:
    return str(GRADE_REASONS.get(value, value))


@bp.app_template_filter("qtype")
def _qtype(value: str) -> str:
    kind = qtypes.TYPES.get(value)
    return str(kind.label) if kind else value

