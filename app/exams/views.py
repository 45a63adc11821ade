"""Exam pages (teachers: exams, access, grading, regrading, reports, exports; students: taking and results) and
the JSON API (app/exams/api.py)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.forms import ConfirmForm
from app.auth.services import find_user, require
from app.core import clock
from app.core.database import begin_write
from app.core.templating import NAVIGATION
from app.core.exports import download_name, to_csv, to_xlsx, to_xlsx_sheets
from app.core.pagination import paginate
from app.errors import FORM_REFUSED_STATUS, DomainError, NotFound, ValidationError, form_refused, get_or_raise
from app.exams import access, forms, integrity, permissions, reports, review, services
from app.exams import analytics as exam_analytics
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
        grants = services.list_grants(exam)
        audience_form = forms.AudienceForm()
        audience_form.fill_targets([(kind, str(source.label), source.choices(current_user, exam))
                                    for kind, source in access.SOURCES.items()])
        extra_form = forms.ExtraTimeForm()
        extra_form.user_id.choices = [(g.user_id, f"{g.user.display_name}（{g.user.username}）") for g in grants]
        entry_form = forms.EntryForm(data={"access_code": exam.access_code,
                                           "allowed_networks": exam.allowed_networks})
        return render_template("exams/manage.html", exam=exam, attempts=attempts, grants=grants,
                               rules=[services.describe_rule(r) for r in exam.paper.rules],
                               problems=services.paper_problems(exam.paper), grant_form=forms.GrantForm(),
                               audience_form=audience_form, extra_form=extra_form, entry_form=entry_form,
                               audiences=access.audiences(exam), started=services.exam_started(exam),
                               flags=integrity.counts_by_attempt(a.id for a in attempts.items),
                               confirm=ConfirmForm(), window=services.exam_window_state(exam))
    grant = services.grant_of(exam.id, current_user.id)
    if not permissions.can_take_exam(current_user, exam, grant):
        raise NotFound(_("考试不存在。"))
    attempts = list(db.session.scalars(select(Attempt).where(Attempt.exam_id == exam.id,
                                                             Attempt.user_id == current_user.id)
                                       .order_by(Attempt.number)))
    span = access.window_for(exam, grant)
    return render_template("exams/student_exam.html", exam=exam, grant=grant, attempts=attempts, span=span,
                           window=access.window_state(span), confirm=ConfirmForm(), start_form=forms.StartForm())


@bp.route("/exams/<int:exam_id>/audiences", methods=["POST"])
@login_required
def grant_audience(exam_id: int):
    """Grant the exam to a course or cohort picked from the lists, with an optional window of its own."""
    exam = _managed_exam(exam_id)
    form = forms.AudienceForm()
    form.fill_targets([(kind, str(source.label), source.choices(current_user, exam))
                       for kind, source in access.SOURCES.items()])
    if not form.validate_on_submit():
        return form_refused(ValidationError(_("请从列表中选择课程或班级。")), detail, exam_id=exam.id)
    kind, target_id = form.picked()
    try:
        audience, added, skipped = access.grant_audience(
            exam, kind, target_id, by=current_user._get_current_object(),
            opens_at=forms.local_to_utc(form.opens_at.data), closes_at=forms.local_to_utc(form.closes_at.data))
    except DomainError as exc:
        return form_refused(exc, detail, exam_id=exam.id)
    db.session.commit()
    flash(_("已授权给“%(name)s”，新开通 %(n)s 名考生。", name=audience.label, n=added), "success")
    if skipped:
        flash(_("%(n)s 名成员不属于本校，未开通。", n=skipped), "warning")
    return redirect(url_for("exams.detail", exam_id=exam.id))


@bp.route("/exams/<int:exam_id>/extra-time", methods=["POST"])
@login_required
def extra_time(exam_id: int):
    exam = _managed_exam(exam_id)
    form = forms.ExtraTimeForm()
    form.user_id.choices = [(g.user_id, g.user.username) for g in services.list_grants(exam)]
    if not form.validate_on_submit():
        return form_refused(ValidationError(_("请从已授权的考生中选择，并填写 0 到 1440 分钟。")), detail,
                            exam_id=exam.id)
    try:
        access.set_extra_time(exam, form.user_id.data, form.minutes.data or 0)
    except DomainError as exc:
        return form_refused(exc, detail, exam_id=exam.id)
    db.session.commit()
    flash(_("延长时间已保存。"), "success")
    return redirect(url_for("exams.detail", exam_id=exam.id))


@bp.route("/exams/<int:exam_id>/entry", methods=["POST"])
@login_required
def entry(exam_id: int):
    """考试口令 and allowed networks; refused after the first attempt (the page comes back as typed)."""
    exam = _managed_exam(exam_id)
    form = forms.EntryForm()
    if not form.validate_on_submit():
        return form_refused(ValidationError(_("考试口令最多 32 个字符。")), detail, exam_id=exam.id)
    try:
        access.set_entry(exam, access_code=form.access_code.data, allowed_networks=form.allowed_networks.data)
    except DomainError as exc:
        return form_refused(exc, detail, exam_id=exam.id)
    db.session.commit()
    flash(_("考场设置已保存。"), "success")
    return redirect(url_for("exams.detail", exam_id=exam.id))


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
    form = forms.StartForm()
    try:
        attempt, _created = services.start_attempt(exam, current_user._get_current_object(),
                                                   code=form.access_code.data, ip=request.remote_addr)
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc.details, dict) and exc.details.get("field") == "access_code":
            return form_refused(exc, detail, exam_id=exam_id)  # the code typed stays in the box
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
        current = total = None
        if record.exam.one_at_a_time:
            current, total = integrity.current_slot(record, request.args.get("q", type=int)), len(view["items"])
            view = dict(view, items=[i for i in view["items"] if i["slot"] == current])
        return render_template("exams/take.html", attempt=record, view=view, confirm=ConfirmForm(),
                               current=current, total=total, kinds=integrity.KINDS)
    view = services.attempt_view(record, everything=not own, display=True)
    return render_template("exams/result.html", attempt=record, view=view, own=own,
                           events=integrity.events(record.id) if not own else [], kinds=integrity.KINDS,
                           history=services.attempt_history(record) if not own else [],
                           aspects=set(review.ASPECTS) if not own else review.visible_aspects(record, record.exam))


@bp.route("/attempts/<int:attempt_id>/goto", methods=["POST"])
@login_required
def goto(attempt_id: int):
    """一题一页: move to another question (``slot``); without going back only forward moves are accepted."""
    record = services.get_attempt(attempt_id)
    if not permissions.can_answer_attempt(current_user, record):
        raise NotFound(_("答卷不存在。"))
    form = ConfirmForm()
    slot = request.form.get("slot", type=int)
    if not form.validate_on_submit() or slot is None:
        return redirect(url_for("exams.attempt", attempt_id=attempt_id))
    begin_write()
    try:
        slot = integrity.advance(record, slot)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("exams.attempt", attempt_id=attempt_id))
    db.session.commit()
    return redirect(url_for("exams.attempt", attempt_id=attempt_id, q=slot))


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
    return _grading_page(exam, question_id=request.args.get("question", type=int),
                         user_id=request.args.get("user", type=int), graded=request.args.get("graded") == "1")


def _grading_page(exam, *, question_id, user_id, graded, rubric_form=None, refused=None):
    """The grading queue; after a refused grade or rubric, with what was typed and the reason (``refused``:
    ``{"item": id, "score", "comment", "error"}``; ``rubric_form``: the form as posted)."""
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
                           history=services.grades_by_item([i.id for i in page.items]), refused=refused,
                           back_url=request.full_path.rstrip("?") if request.method == "GET" else url_for(
                               "exams.grading", exam_id=exam.id, question=question_id, user=user_id,
                               graded="1" if graded else None))


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
    error = None if form.validate_on_submit() else _("请填写评分量规。")
    if error is None:
        try:
            services.set_rubric(exam, question, form.criteria.data, by=current_user)
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            db.session.rollback()
            error = exc.message
    if error is not None:  # the grading page again, with the rubric as typed and the reason beside it
        form.criteria.errors = [*form.criteria.errors, error]
        return _grading_page(exam, question_id=question.id, user_id=None, graded=False,
                             rubric_form=form), FORM_REFUSED_STATUS
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
    levels = {key[len("level-"):]: value for key, value in request.form.items() if key.startswith("level-")}
    error = None if form.validate_on_submit() else _("请填写有效的得分。")
    if error is None:
        try:
            if levels or services.rubric_for(item.attempt.exam_id, item.question_id) is not None:
                services.grade_with_rubric(item, levels, comment=form.comment.data, grader=current_user)
            else:
                services.grade_manually(item, score=form.score.data, comment=form.comment.data,
                                        grader=current_user)
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            db.session.rollback()
            error = exc.message
    if error is not None:  # the queue the grader was on, the item with what was typed and the reason
        args = parse_qs(urlsplit(_safe(back, item)).query)

        def arg(name):
            value = (args.get(name) or [""])[0]
            return int(value) if value.isdigit() else None

        refused = {"item": item.id, "score": request.form.get("score", ""),
                   "comment": request.form.get("comment", ""), "error": error}
        return _grading_page(item.attempt.exam, question_id=arg("question"), user_id=arg("user"),
                             graded=(args.get("graded") or [""])[0] == "1" or not item.needs_manual,  # a regrade
                             refused=refused), FORM_REFUSED_STATUS
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


@bp.route("/exams/<int:exam_id>/analytics")
@login_required
def analytics(exam_id: int):
    """学情分析: distribution and pass rate per cohort, mastery per knowledge point and learning task."""
    exam = _managed_exam(exam_id)
    data = exam_analytics.build(exam)
    chart = {"labels": [b["label"] for b in data.histogram], "values": [b["count"] for b in data.histogram],
             "label": _("人数")}
    return render_template("exams/analytics.html", exam=exam, data=data, chart=chart, pct=exam_analytics.rounded)


@bp.route("/exams/<int:exam_id>/analytics.xlsx")
@login_required
def analytics_export(exam_id: int):
    exam = _managed_exam(exam_id)
    body = to_xlsx_sheets(exam_analytics.sheets(exam_analytics.build(exam)))
    return body, 200, {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       **download_name(f"{exam.title}-{_('学情分析')}-{clock.stamp()}.xlsx")}


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

