"""Work-task pages: set a task, the class board, stages with worksheets and uploads, evaluations, the score.

Every view: load (404) -> authorise (403) -> validate -> call a service -> commit -> respond.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.auth.forms import ConfirmForm
from app.auth.models import User
from app.auth.services import require
from app.core import clock, fileserve, uploads
from app.courses import permissions as course_permissions
from app.courses import services as courses
from app.errors import FORM_REFUSED_STATUS, Conflict, DomainError, ValidationError, form_refused, wants_json
from app.extensions import db
from app.tasks import forms, permissions, services
from app.tasks.models import TaskAssignment

bp = Blueprint("tasks", __name__)
uploads.install(bp)

PARTY_LABELS = {"self": _l("自评"), "peer": _l("互评"), "teacher": _l("师评"), "mentor": _l("企业评价")}


def _assignment(assignment_id: int, *, manage: bool = False) -> TaskAssignment:
    assignment = services.get_assignment(assignment_id)
    require(permissions.can_manage_assignment(current_user, assignment) if manage
            else permissions.can_view_assignment(current_user, assignment))
    return assignment


def _submission(submission_id: int):
    submission = services.get_submission(submission_id)
    require(permissions.can_view_submission(current_user, submission))
    return submission


# --- lists and setting a task -------------------------------------------------------------------------------------

@bp.route("/tasks")
@login_required
def mine():
    """The work tasks of every course the user takes part in."""
    mine_ = courses.courses_of_user(current_user)
    assignments = services.assignments_of_courses([c.id for c, _e in mine_])
    teaching = [c for c, e in mine_ if e.role == "instructor"]
    return render_template("tasks/mine.html", assignments=assignments, teaching=teaching)


@bp.route("/courses/<int:course_id>/tasks")
@login_required
def course_tasks(course_id: int):
    course = courses.get_course(course_id)
    require(course_permissions.can_view_course(current_user, course))
    return render_template("tasks/course_tasks.html", course=course,
                           assignments=services.assignments_of_course(course),
                           can_manage=course_permissions.can_manage_course(current_user, course))


@bp.route("/courses/<int:course_id>/tasks/new", methods=["GET", "POST"])
@login_required
def new_assignment(course_id: int):
    course = courses.get_course(course_id)
    require(course_permissions.can_manage_course(current_user, course))
    form = forms.AssignmentForm()
    form.learning_task_id.choices = services.learning_task_choices(course)
    if request.method == "GET":
        form.criteria.data = services.DEFAULT_CRITERIA
    if form.validate_on_submit():
        from app.standards import services as standards

        assignment = services.create_assignment(
            course, standards.get_task(form.learning_task_id.data), by=current_user, title=form.title.data or "",
            instructions=form.instructions.data or "", weights=form.weights(), missing_rule=form.missing_rule.data,
            peer_count=form.peer_count.data, peer_due_at=forms.local_to_utc(form.peer_due_at.data),
            criteria=form.criteria.data, work_mode=form.work_mode.data,
            group_size=form.group_size.data if form.work_mode.data == "group" else None)
        db.session.commit()
        flash(_("学习任务“%(title)s”已布置，共 %(n)s 个环节。下一步：设置各环节的截止时间。",
                title=assignment.title, n=len(assignment.stages)), "success")
        return redirect(url_for("tasks.edit_stages", assignment_id=assignment.id))
    return render_template("tasks/assignment_form.html", course=course, form=form)


@bp.route("/tasks/<int:assignment_id>/stages", methods=["GET", "POST"])
@login_required
def edit_stages(assignment_id: int):
    assignment = _assignment(assignment_id, manage=True)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            services.update_stages(assignment, forms.stage_settings(request.form, assignment.stages))
        except DomainError as exc:
            return form_refused(exc, "tasks/stages_form.html", form=form, assignment=assignment,
                                local=forms.to_local_input)
        db.session.commit()
        flash(_("环节设置已保存。"), "success")
        return redirect(url_for("tasks.assignment", assignment_id=assignment.id))
    return render_template("tasks/stages_form.html", assignment=assignment, form=form)


@bp.route("/tasks/<int:assignment_id>/peers", methods=["POST"])
@login_required
def refresh_peers(assignment_id: int):
    """Create submissions for learners who joined later and give them peer reviewers."""
    assignment = _assignment(assignment_id, manage=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    created = services.start_submissions(assignment)
    pairs = services.assign_peers(assignment)
    db.session.commit()
    flash(_("新增 %(s)s 份作业、%(p)s 个互评分配。", s=created, p=pairs), "success")
    return redirect(url_for("tasks.assignment", assignment_id=assignment.id))


@bp.route("/tasks/<int:assignment_id>")
@login_required
def assignment(assignment_id: int):
    """Teachers see the class board; a learner is taken to their own work; a mentor sees their apprentices."""
    assignment = _assignment(assignment_id)
    if permissions.can_manage_assignment(current_user, assignment):
        rows = services.board(assignment)
        scores = services.scores_for(assignment, [uid for r in rows for uid in r.student_ids])
        ungrouped = services.ungrouped_learners(assignment) if assignment.is_group_work else []
        return render_template("tasks/board.html", assignment=assignment, rows=rows, scores=scores,
                               confirm=ConfirmForm(), now=clock.now(), ungrouped=ungrouped)
    if course_permissions.is_learner(current_user, assignment.course):
        submission = services.submission_of(assignment, current_user)
        if submission is None and assignment.is_group_work:  # the teacher has not put them in a group yet
            return render_template("tasks/start.html", assignment=assignment, confirm=None)
        if submission is None:  # joined the course after the task was set: starting it is a POST
            return render_template("tasks/start.html", assignment=assignment, confirm=ConfirmForm())
        return redirect(url_for("tasks.submission", submission_id=submission.id))
    # Mentors (and anyone else who may view the course) see only the students assigned to them (group work:
    # the groups with at least one of them).
    visible = {u.id for u in courses.mentees(assignment.course, current_user)}
    rows = [r for r in services.board(assignment) if visible.intersection(r.student_ids)]
    return render_template("tasks/board.html", assignment=assignment, rows=rows, scores={}, confirm=ConfirmForm(),
                           now=clock.now(), readonly=True)


@bp.route("/tasks/<int:assignment_id>/start", methods=["POST"])
@login_required
def start(assignment_id: int):
    """A learner who joined after the task was set starts their own submission."""
    assignment = _assignment(assignment_id)
    require(course_permissions.is_learner(current_user, assignment.course) and not assignment.is_group_work)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    submission = services.submission_of(assignment, current_user, create=True)
    db.session.commit()
    return redirect(url_for("tasks.submission", submission_id=submission.id))


# --- a submission and its stages ---------------------------------------------------------------------------------

@bp.route("/tasks/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    submission = _submission(submission_id)
    assignment = submission.assignment
    states = services.states_of(submission)
    mine = services.is_member(submission, current_user)
    members = services.members_by_group(assignment).get(submission.group_id, []) if submission.group_id else []
    member_scores = services.scores_for(assignment, [m.student_id for m in members]) if members else {}
    # A member sees their own score; anyone else sees every member's, and the first member's worked out.
    shown = current_user.id if mine else (members[0].student_id if members else None)
    shown_member = next((m for m in members if m.student_id == shown), None)
    evaluations = services.evaluations_of(submission)
    see_feedback = permissions.can_view_feedback(current_user, submission)
    return render_template(
        "tasks/submission.html", submission=submission, assignment=assignment, states=states,
        breakdown=member_scores.get(shown) if members else services.breakdown(submission),
        evaluations=evaluations, feedback=services.feedback_files(evaluations) if see_feedback else {},
        max_feedback=services.MAX_FEEDBACK_FILES,
        can_attach={e.id for e in evaluations if permissions.can_attach_feedback(current_user, e, submission)},
        # Work nobody has started yet is not offered to its peer reviewers (the review would be refused).
        parties=[p for p in permissions.parties_for(current_user, submission)
                 if p != "peer" or services.has_started(submission)],
        members=members, member_scores=member_scores,
        shown_member=shown_member if not mine else None,
        can_adjust=bool(members) and permissions.can_manage_assignment(current_user, assignment),
        adjust_form=forms.AdjustForm(),
        done_parties={e.party for e in evaluations if e.evaluator_id == current_user.id},
        mine=mine, **_peer_reviews(assignment) if mine else {"reviews": []})


def _peer_reviews(assignment) -> dict:
    """The classmates' work the current student is to review, which of them have started (only those can be
    reviewed) and which the student has reviewed already."""
    reviews = services.peer_reviews_of(assignment, current_user)
    ids = [r.submission_id for r in reviews]
    reviewed = services.evaluated_submission_ids(current_user, "peer", ids)
    return {"reviews": reviews, "started": services.started_submission_ids(ids), "reviewed": reviewed}


@bp.route("/tasks/submissions/<int:submission_id>/stages/<int:stage_id>", methods=["GET", "POST"])
@login_required
def stage(submission_id: int, stage_id: int):
    submission = _submission(submission_id)
    stage = services.get_stage(submission.assignment, stage_id)
    if request.method == "POST":
        require(permissions.can_work_on(current_user, submission))
        if not ConfirmForm().validate_on_submit():
            abort(400)
        fields_ = services.stage_fields(submission.assignment, stage)
        submit = request.form.get("action") == "submit"
        base = request.form.get("base", "")
        raw = services.parse_form(fields_, request.form)
        try:
            entry = services.save_stage(submission, stage, raw, by=current_user, submit=submit,
                                        base=int(base) if base.isdigit() else None)
        except DomainError as exc:
            # Back to the stage with everything typed and each reason beside its field.
            problems = exc.details.get("fields") if isinstance(exc.details, dict) else None
            return form_refused(exc, "tasks/stage.html", **_stage_context(submission, stage, typed=raw,
                                                                         problems=problems))
        problems = {} if submit else services.check_answers(fields_, raw, final=False)[1]
        db.session.commit()
        if wants_json():
            return jsonify({"saved": entry is not None, "entry": entry.id if entry else None,
                            "state": services.stage_row(submission, stage).state, "problems": problems})
        if problems:
            flash(_("已保存草稿。提交前请修改：%(errors)s", errors="；".join(problems.values())), "warning")
        else:
            flash(_("“%(stage)s”已提交。", stage=stage.name) if submit else _("已保存草稿。"), "success")
        return redirect(url_for("tasks.submission", submission_id=submission.id) if submit
                        else url_for("tasks.stage", submission_id=submission.id, stage_id=stage.id))
    return render_template("tasks/stage.html", **_stage_context(submission, stage))


def _stage_context(submission, stage, *, typed=None, problems=None, decision=None) -> dict:
    """What the stage page shows; ``typed``/``problems`` (answers as typed, reason per answer key) and
    ``decision`` (the teacher's form as sent) after a refusal."""
    row = services.stage_row(submission, stage)
    return dict(
        submission=submission, assignment=submission.assignment, stage=stage, row=row,
        fields=services.stage_fields(submission.assignment, stage), latest=services.latest_entry(submission, stage),
        files=services.files_of(submission, stage), history=services.history(submission, stage), form=ConfirmForm(),
        decision=decision or forms.DecisionForm(), typed=typed, problems=problems or {},
        can_work=permissions.can_work_on(current_user, submission) and row.state in services.OPEN_STATES,
        can_decide=permissions.can_manage_assignment(current_user, submission.assignment)
        and row.state == "submitted",
        # The teacher deciding a stage (决策: approve the plan) sees what was handed in before it.
        earlier=services.earlier_stages(submission, stage)
        if stage.requires_approval and permissions.can_manage_assignment(current_user, submission.assignment) else [])


@bp.route("/tasks/submissions/<int:submission_id>/stages/<int:stage_id>/upload", methods=["POST"])
@uploads.upload_endpoint(("image", "document"))
@login_required
def upload(submission_id: int, stage_id: int):
    submission = _submission(submission_id)
    stage = services.get_stage(submission.assignment, stage_id)
    require(permissions.can_work_on(current_user, submission))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        task_file = services.upload_to_stage(submission, stage, request.files.get("file"),
                                             field=request.form.get("field", ""), by=current_user)
    except DomainError as exc:  # not a photo or document we accept: the stage page again, with the reason
        return form_refused(exc, "tasks/stage.html", **_stage_context(submission, stage))
    db.session.commit()
    if wants_json():
        return jsonify({"file": task_file.id, "width": task_file.media_file.width,
                        "height": task_file.media_file.height}), 201
    flash(_("已上传“%(name)s”。", name=task_file.media_file.original_name), "success")
    return redirect(url_for("tasks.stage", submission_id=submission.id, stage_id=stage.id))


@bp.route("/tasks/submissions/<int:submission_id>/stages/<int:stage_id>/decide", methods=["POST"])
@login_required
def decide(submission_id: int, stage_id: int):
    submission = services.get_submission(submission_id)
    require(permissions.can_manage_assignment(current_user, submission.assignment))
    stage = services.get_stage(submission.assignment, stage_id)
    form = forms.DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    approve = request.form.get("action") == "approve"
    try:
        services.decide_stage(submission, stage, by=current_user, approve=approve, comment=form.comment.data or "")
    except Conflict:
        raise  # decided already (a double click, a replay, another teacher): nothing on the form to correct -> 409
    except DomainError as exc:
        return form_refused(exc, "tasks/stage.html", field=form.comment, **_stage_context(submission, stage,
                                                                                        decision=form))
    db.session.commit()
    flash(_("已批准“%(stage)s”，下一环节已开放。", stage=stage.name) if approve
          else _("已退回“%(stage)s”，学生修改后可重新提交。", stage=stage.name), "success")
    return redirect(url_for("tasks.assignment", assignment_id=submission.assignment_id))


@bp.route("/tasks/files/<int:file_id>")
@login_required
def file(file_id: int):
    task_file = services.file_for(file_id)
    _submission(task_file.submission_id)
    media = task_file.media_file
    if request.args.get("thumb") and media.preview_key:
        return fileserve.send_stored(media.preview_key, mimetype="image/jpeg")
    return fileserve.send_stored(media.storage_key, mimetype=media.mime, etag=media.sha256[:32],
                                 filename=media.original_name, attachment=media.kind != "image")


# --- groups (小组合作) ------------------------------------------------------------------------------------------------

def _group_assignment(assignment_id: int) -> TaskAssignment:
    assignment = _assignment(assignment_id, manage=True)
    if not assignment.is_group_work:
        abort(404)
    return assignment


def _int(value, message) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(message) from None


def _learner(assignment: TaskAssignment, student_id: int):
    student = db.session.get(User, student_id)
    if student is None or not course_permissions.is_learner(student, assignment.course):
        raise ValidationError(_("请选择本课程的学员。"))
    return student


@bp.route("/tasks/<int:assignment_id>/groups")
@login_required
def groups(assignment_id: int):
    """The teacher forms groups: automatically of a size, by hand, and moves students before work starts."""
    assignment = _group_assignment(assignment_id)
    groups_ = services.groups_of(assignment)
    members = services.members_by_group(assignment)
    ungrouped = services.ungrouped_learners(assignment)
    move = forms.MoveForm()
    move.student_id.choices = [(m.student_id, f"{m.student.full_name or m.student.username}（{g.name}）")
                               for g in groups_ for m in members.get(g.id, [])] + \
                              [(u.id, f"{u.full_name or u.username}（{_('未分组')}）") for u in ungrouped]
    move.group_id.choices = [(g.id, g.name) for g in groups_]
    return render_template("tasks/groups.html", assignment=assignment, groups=groups_, members=members,
                           ungrouped=ungrouped, started=services.started_group_ids(assignment),
                           auto=forms.AutoGroupForm(size=assignment.group_size or 4), new=forms.NewGroupForm(),
                           move=move)


@bp.route("/tasks/<int:assignment_id>/groups/auto", methods=["POST"])
@login_required
def auto_groups(assignment_id: int):
    assignment = _group_assignment(assignment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    made = services.form_groups_automatically(assignment, _int(request.form.get("size"), _("请填写每组人数。")))
    services.assign_peers(assignment)
    db.session.commit()
    flash(_("已自动分成 %(n)s 个小组。", n=len(made)), "success")
    return redirect(url_for("tasks.groups", assignment_id=assignment.id))


@bp.route("/tasks/<int:assignment_id>/groups", methods=["POST"])
@login_required
def new_group(assignment_id: int):
    assignment = _group_assignment(assignment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    students = [_learner(assignment, _int(v, _("请选择本课程的学员。"))) for v in request.form.getlist("students")]
    group = services.create_group(assignment, request.form.get("name", ""), students)
    services.assign_peers(assignment)
    db.session.commit()
    flash(_("已建立“%(name)s”。", name=group.name), "success")
    return redirect(url_for("tasks.groups", assignment_id=assignment.id))


@bp.route("/tasks/<int:assignment_id>/groups/move", methods=["POST"])
@login_required
def move_member(assignment_id: int):
    assignment = _group_assignment(assignment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    student = _learner(assignment, _int(request.form.get("student_id"), _("请选择本课程的学员。")))
    target = services.get_group(assignment, _int(request.form.get("group_id"), _("请选择小组。")))
    services.move_member(assignment, student, target)
    db.session.commit()
    flash(_("已把 %(name)s 调入“%(group)s”。", name=student.full_name or student.username, group=target.name),
          "success")
    return redirect(url_for("tasks.groups", assignment_id=assignment.id))


@bp.route("/tasks/submissions/<int:submission_id>/members/<int:student_id>/adjust", methods=["POST"])
@login_required
def adjust(submission_id: int, student_id: int):
    """The teacher adjusts one member's share of the group's score, with a reason."""
    submission = services.get_submission(submission_id)
    require(permissions.can_manage_assignment(current_user, submission.assignment))
    member = services.get_member(submission, student_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.adjust_member(member, request.form.get("points"), request.form.get("reason", ""), by=current_user)
    db.session.commit()
    flash(_("已调整 %(name)s 的得分。", name=member.student.full_name or member.student.username), "success")
    return redirect(url_for("tasks.submission", submission_id=submission.id))


# --- evaluations ---------------------------------------------------------------------------------------------------

def _scores_from(form) -> dict:
    return {key[2:]: value for key, value in form.items() if key.startswith("c.")}


@bp.route("/tasks/submissions/<int:submission_id>/evaluate/<party>", methods=["GET", "POST"])
@uploads.upload_endpoint(services.FEEDBACK_KINDS)
@login_required
def evaluate(submission_id: int, party: str):
    """Evaluate on the rubric; teachers and mentors may attach feedback files (marked-up photos, a PDF) in the
    same form."""
    submission = services.get_submission(submission_id)
    if party not in services.PARTY_VALUES:
        abort(404)
    require(permissions.can_evaluate(current_user, submission, party))
    form = forms.EvaluationForm()
    page = {"submission": submission, "assignment": submission.assignment, "party": party,
            "party_label": str(PARTY_LABELS[party]), "form": form, "feedback": party in services.FEEDBACK_PARTIES,
            "max_files": services.MAX_FEEDBACK_FILES, "chosen": {}}
    done = services.evaluation_by(submission, party, current_user)
    if done is not None:  # evaluated already: show what was given; a second evaluation is refused
        if request.method == "POST":
            return render_template("tasks/evaluate.html", done=done, error=_("您已经评价过这份作业。"), **page), 409
        return render_template("tasks/evaluate.html", done=done, **page)
    if party == "peer" and not services.has_started(submission):
        return render_template("tasks/evaluate.html", refusal=services.not_started_message(), **page), 409
    if form.validate_on_submit():
        try:
            evaluation = services.evaluate(submission, party, current_user, _scores_from(request.form),
                                           form.comment.data or "")
            files = [f for f in request.files.getlist("files") if f.filename]
            if files and party in services.FEEDBACK_PARTIES:
                services.attach_feedback(evaluation, files, by=current_user)
        except DomainError as exc:  # keep what was chosen and typed, say why beside the form
            db.session.rollback()
            page["chosen"] = _scores_from(request.form)
            return render_template("tasks/evaluate.html", error=exc.message, **page), FORM_REFUSED_STATUS
        db.session.commit()
        flash(_("评价已提交。"), "success")
        return redirect(url_for("tasks.submission", submission_id=submission.id))
    return render_template("tasks/evaluate.html", **page)


@bp.route("/tasks/evaluations/<int:evaluation_id>/files", methods=["POST"])
@uploads.upload_endpoint(services.FEEDBACK_KINDS)
@login_required
def attach_feedback(evaluation_id: int):
    """The grader adds feedback files to their evaluation after submitting it."""
    evaluation = services.get_evaluation(evaluation_id)
    submission = services.get_submission(evaluation.submission_id)
    require(permissions.can_attach_feedback(current_user, evaluation, submission))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    attached = services.attach_feedback(evaluation, request.files.getlist("files"), by=current_user)
    db.session.commit()
    if wants_json():
        return jsonify({"files": [_feedback_json(f) for f in attached]}), 201
    flash(_("已附加 %(n)s 个反馈文件。", n=len(attached)), "success")
    return redirect(url_for("tasks.submission", submission_id=submission.id))


@bp.route("/tasks/feedback/<int:file_id>")
@login_required
def feedback_file(file_id: int):
    """A feedback file, for those who may see the evaluation's feedback (peer reviewers may not)."""
    feedback = services.feedback_file_for(file_id)
    evaluation = services.get_evaluation(feedback.evaluation_id)
    submission = services.get_submission(evaluation.submission_id)
    require(permissions.can_view_feedback(current_user, submission, evaluation))
    media = feedback.media_file
    if request.args.get("thumb") and media.preview_key:
        return fileserve.send_stored(media.preview_key, mimetype="image/jpeg")
    return fileserve.send_stored(media.storage_key, mimetype=media.mime, etag=media.sha256[:32],
                                 filename=media.original_name, attachment=media.kind != "image")


def _feedback_json(f) -> dict:
    return {"id": f.id, "name": f.media_file.original_name, "kind": f.media_file.kind,
            "url": url_for("tasks.feedback_file", file_id=f.id)}


# --- JSON API --------------------------------------------------------------------------------------------------------

def _breakdown_json(b) -> dict:
    return {"final": b.final, "pending": b.final is None, "pending_reason": b.pending_reason,
            "missing_rule": b.missing_rule, "renormalised": b.renormalised, "adjustment": b.adjustment,
            "adjustment_reason": b.adjustment_reason, "base": b.base,
            "parties": [{"party": p.party, "weight": p.weight, "effective_weight": p.effective_weight,
                         "score": p.score, "evaluations": p.evaluations} for p in b.parties]}


@bp.route("/api/tasks/submissions/<int:submission_id>")
@login_required
def submission_json(submission_id: int):
    submission = _submission(submission_id)
    states = services.states_of(submission)
    body = {"id": submission.id, "assignment": submission.assignment_id,
            "stages": [{"id": s.id, "key": s.key, "name": s.name, "state": states[s.id].state}
                       for s in submission.assignment.stages]}
    return jsonify({**body, **_owner_json(submission)})


def _owner_json(submission) -> dict:
    """``student`` and ``score`` of individual work; ``group`` with each member's score for group work."""
    if submission.group_id is None:
        return {"student": {"id": submission.student_id, "username": submission.student.username},
                "score": _breakdown_json(services.breakdown(submission))}
    members = services.members_by_group(submission.assignment).get(submission.group_id, [])
    scores = services.scores_for(submission.assignment, [m.student_id for m in members])
    return {"group": {"id": submission.group_id, "name": submission.group.name,
                      "members": [{"id": m.student_id, "username": m.student.username,
                                   "score": _breakdown_json(scores[m.student_id])} for m in members]}}


@bp.route("/api/tasks/submissions/<int:submission_id>/evaluations", methods=["POST"])
@login_required
def evaluate_json(submission_id: int):
    submission = services.get_submission(submission_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(_("请求内容必须是 JSON 对象。"))
    party = data.get("party")
    if party not in services.PARTY_VALUES:
        raise ValidationError(_("未知的评价方。"))
    require(permissions.can_evaluate(current_user, submission, party))
    evaluation = services.evaluate(submission, party, current_user, data.get("scores") or {},
                                   str(data.get("comment") or ""))
    db.session.commit()
    return jsonify({"id": evaluation.id, "percent": evaluation.percent, **_owner_json(submission)}), 201


STATE_LABELS = {"locked": _l("未开放"), "open": _l("进行中"), "submitted": _l("已提交"), "approved": _l("已批准"),
                "returned": _l("已退回")}
STATE_BADGES = {"locked": "text-bg-light", "open": "text-bg-primary", "submitted": "text-bg-info",
                "approved": "text-bg-success", "returned": "text-bg-warning"}
ENTRY_LABELS = {"draft": _l("保存草稿"), "submit": _l("提交"), "approve": _l("教师批准"), "return": _l("教师退回"),
                "upload": _l("上传文件")}


@bp.context_processor
def _labels():
    # Evaluated per request so the labels follow the user's language.
    return {"state_labels": {k: str(v) for k, v in STATE_LABELS.items()}, "state_badges": STATE_BADGES,
            "submitted_late": services.submitted_late,
            "entry_labels": {k: str(v) for k, v in ENTRY_LABELS.items()},
            "party_labels": {k: str(v) for k, v in PARTY_LABELS.items()}}
