"""Pages of teacher certification: training programs, 学时, practical tasks, certificates, public verification."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.certification import activity_kind as _activity_kind  # noqa: F401  (registers the video kind)
from app.certification import credentials, forms, permissions, services
from app.certification import program_views
from app.certification import programs as program_admin
from app.certification.api import api
from app.certification.batch_views import batches
from app.certification.models import PracticalSubmission
from app.core.database import begin_write
from app.core.exports import download_name
from app.errors import Conflict, DomainError, PermissionDenied, ValidationError, form_refused
from app.extensions import db, limiter

bp = Blueprint("certification", __name__)
bp.register_blueprint(api)
bp.register_blueprint(batches)
program_views.register_routes(bp)


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied(_("您没有权限执行此操作。"))


def _profession_choices():
    from app.catalog.services import profession_choices

    return [(0, _("（不填）"))] + profession_choices()


@bp.route("/training")
@login_required
def programs():
    """Browse programs: published ones (and those the user is enrolled in); platform admins see all."""
    mine = {e.program_id for e in services.enrollments_of(current_user)}
    return render_template("certification/programs.html", programs=program_admin.visible_programs(current_user),
                           mine=mine, can_manage=permissions.can_manage_programs(current_user))


@bp.route("/training/<int:program_id>")
@login_required
def program(program_id: int):
    prog = services.get_program(program_id)
    if not (prog.is_open or permissions.can_manage_programs(current_user)
            or services.enrollment_of(prog, current_user) is not None):
        abort(404)  # an unpublished program is not there for those who have not joined it
    return _progress_page(prog, current_user)


@bp.route("/training/<int:program_id>/teachers/<int:user_id>")
@login_required
def teacher_progress(program_id: int, user_id: int):
    from app.auth.services import get_user

    prog = services.get_program(program_id)
    teacher = get_user(user_id)
    _require(permissions.can_view_progress(current_user, teacher))
    return _progress_page(prog, teacher)


def _progress_page(prog, teacher):
    enrollment = services.enrollment_of(prog, teacher)
    facts = services.gather_facts(prog, teacher) if enrollment else None
    outcomes = services.rules.evaluate(facts) if facts else []
    enroll_form = forms.EnrollForm()
    enroll_form.profession_id.choices = _profession_choices()
    submissions = list(db.session.scalars(select(PracticalSubmission).where(
        PracticalSubmission.program_id == prog.id, PracticalSubmission.user_id == teacher.id)
        .order_by(PracticalSubmission.id.desc()))) if enrollment else []
    return render_template("certification/program.html", program=prog, teacher=teacher, enrollment=enrollment,
                           facts=facts, outcomes=outcomes, certificate=services.certificate_of(prog, teacher),
                           enroll_form=enroll_form, practical_form=forms.PracticalForm(),
                           action_form=forms.ActionForm(), submissions=submissions,
                           own=teacher.id == current_user.id, earned=services.rules.earned,
                           certificate_status=services.status_of,
                           can_enroll=permissions.can_enroll_self(current_user, prog),
                           can_manage=permissions.can_manage_programs(current_user),
                           can_enroll_others=current_user.has_role("school_admin") and current_user.school_id is not None)


@bp.route("/training/<int:program_id>/enroll", methods=["POST"])
@login_required
def enroll(program_id: int):
    prog = services.get_program(program_id)
    _require(permissions.can_enroll_self(current_user, prog))
    form = forms.EnrollForm()
    form.profession_id.choices = _profession_choices()
    if not form.validate_on_submit():
        raise ValidationError(_("报名信息无效。"))
    user = current_user._get_current_object()
    begin_write()  # read-then-write: on SQLite a double tap queues here instead of failing on a stale snapshot
    services.enroll(prog, user, profession_id=form.profession_id.data or None)
    db.session.commit()
    flash(_("已报名“%(t)s”。下一步：学习培训课程并积累学时。", t=prog.title), "success")
    return redirect(url_for("certification.program", program_id=prog.id))


@bp.route("/training/<int:program_id>/enroll-teachers", methods=["GET", "POST"])
@login_required
def enroll_teachers(program_id: int):
    from app.auth.models import User, UserRole

    prog = services.get_program(program_id)
    _require(current_user.has_role("school_admin") and current_user.school_id is not None)
    if not prog.is_open:
        raise ValidationError(_("该培训项目未发布，不能报名。"))
    teachers = list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        User.school_id == current_user.school_id, UserRole.role == "teacher", User.is_active.is_(True))
        .order_by(User.full_name)))
    form = forms.EnrollTeachersForm()
    form.teacher_ids.choices = [(t.id, f"{t.full_name}（{t.username}）") for t in teachers]
    if form.validate_on_submit():
        chosen = [t for t in teachers if t.id in set(form.teacher_ids.data)]
        for teacher in chosen:
            _require(permissions.can_enroll_teacher(current_user, teacher))
            services.enroll(prog, teacher, actor=current_user)
        db.session.commit()
        flash(_("已为 %(n)s 名教师报名。", n=len(chosen)), "success")
        return redirect(url_for("certification.enroll_teachers", program_id=prog.id))
    enrolled = {e.user_id for e in db.session.scalars(select(services.ProgramEnrollment).where(
        services.ProgramEnrollment.program_id == prog.id, services.ProgramEnrollment.school_id == current_user.school_id))}
    return render_template("certification/enroll_teachers.html", program=prog, form=form, teachers=teachers,
                           enrolled=enrolled)


@bp.route("/training/<int:program_id>/practical", methods=["POST"])
@login_required
def submit_practical(program_id: int):
    prog = services.get_program(program_id)
    _require(services.enrollment_of(prog, current_user) is not None)
    form = forms.PracticalForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError(_("请选择要提交的文件。"))
        services.submit_practical(prog, current_user, form.file.data)
    except DomainError as exc:  # not a document we accept: the program page again, with the reason
        return form_refused(exc, program, program_id=prog.id)
    db.session.commit()
    flash(_("实践任务已提交，等待评审。"), "success")
    return redirect(url_for("certification.program", program_id=prog.id))


@bp.route("/training/<int:program_id>/certificate", methods=["POST"])
@login_required
def request_certificate(program_id: int):
    """The teacher asks for the certificate: issued when everything is met, refused with the reasons."""
    prog = services.get_program(program_id)
    form = forms.ActionForm()
    if not form.validate_on_submit():
        raise ValidationError(_("请求无效，请刷新页面后重试。"))
    user = current_user._get_current_object()
    begin_write()  # a double click queues here on SQLite and then finds the first click's certificate
    cert = services.issue_certificate(prog, user)
    db.session.commit()
    flash(_("恭喜！证书 %(s)s 已颁发。", s=cert.serial), "success")
    return redirect(url_for("certification.certificate", cert_id=cert.id))


@bp.route("/training/practicals")
@login_required
def practicals():
    _require(permissions.can_review_practical(current_user))
    return render_template("certification/practicals.html", submissions=services.pending_practicals(),
                           form=forms.ReviewForm())


@bp.route("/training/practicals/<int:submission_id>/file")
@login_required
def practical_file(submission_id: int):
    from app.core.fileserve import send_stored

    submission = db.session.get(PracticalSubmission, submission_id) or abort(404)
    if not (submission.user_id == current_user.id or permissions.can_review_practical(current_user)):
        abort(404)
    return send_stored(submission.storage_key, mimetype=submission.mime, filename=submission.original_name,
                       attachment=True)


@bp.route("/training/practicals/<int:submission_id>/review", methods=["POST"])
@login_required
def review_practical(submission_id: int):
    submission = db.session.get(PracticalSubmission, submission_id) or abort(404)
    _require(permissions.can_review_practical(current_user))
    form = forms.ReviewForm()
    if not form.validate_on_submit():
        raise ValidationError(_("评分无效：%(e)s", e="；".join(str(m) for ms in form.errors.values() for m in ms)))
    services.review_practical(submission, current_user, {"analysis": form.analysis.data, "design": form.design.data,
                                                         "assessment": form.assessment.data}, form.comment.data or "")
    from app.certification.models import TrainingProgram

    services.issue_if_complete(db.session.get(TrainingProgram, submission.program_id), submission.user)
    db.session.commit()
    flash(_("评分已保存。"), "success")
    return redirect(url_for("certification.practicals"))


# ---- certificates --------------------------------------------------------------------------------------------
def _own_certificate(cert_id: int):
    cert = services.get_certificate(cert_id)
    if not permissions.can_view_certificate(current_user, cert):
        abort(404)
    return cert


@bp.route("/certificates/<int:cert_id>")
@login_required
def certificate(cert_id: int):
    cert = _own_certificate(cert_id)
    return render_template("certification/certificate.html", cert=cert, status=services.status_of(cert),
                           revoke_form=forms.RevokeForm(),
                           can_revoke=permissions.can_issue_certificates(current_user))


def _presentable(cert):
    """A revoked certificate is not handed out again as a fresh PDF or a newly signed credential: either would
    look valid to anyone who does not scan the QR code or check the issuer's records."""
    if cert.revoked_at is not None:
        raise Conflict(_("证书已被撤销，不能再下载。"))
    return cert


@bp.route("/certificates/<int:cert_id>/certificate.pdf")
@login_required
def certificate_pdf(cert_id: int):
    cert = _presentable(_own_certificate(cert_id))
    data = services.certificate_pdf(cert, url_for("certification.verify", code=cert.code, _external=True))
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers.update(download_name(f"{cert.serial}.pdf"))
    return response


@bp.route("/certificates/<int:cert_id>/credential.jwt")
@login_required
def credential(cert_id: int):
    cert = _presentable(_own_certificate(cert_id))
    response = current_app.response_class(credentials.credential_jwt(cert), mimetype="application/vc+jwt")
    response.headers["Content-Disposition"] = f'attachment; filename="{cert.serial}.jwt"'
    return response


@bp.route("/certificates/<int:cert_id>/revoke", methods=["POST"])
@login_required
def revoke(cert_id: int):
    cert = _own_certificate(cert_id)
    _require(permissions.can_issue_certificates(current_user))
    form = forms.RevokeForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError(_("请填写撤销原因。"))
        services.revoke_certificate(cert, form.reason.data, current_user)
    except DomainError as exc:
        return form_refused(exc, certificate, cert_id=cert.id)
    db.session.commit()
    flash(_("证书 %(s)s 已撤销。", s=cert.serial), "warning")
    return redirect(url_for("certification.certificate", cert_id=cert.id))


def _verify_limit() -> str:
    return current_app.config.get("CERT_VERIFY_RATE_LIMIT", "30/minute")


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit, scope="verify")
def verify(code: str):
    """Public verification: facts from the database only, masked name; unknown codes all get the same 404."""
    cert = services.find_by_code(code)
    if cert is None:
        return render_template("certification/verify_unknown.html"), 404
    return render_template("certification/verify.html", cert=cert, status=services.status_of(cert),
                           holder=services.mask_name(cert.holder_name))


@bp.route("/.well-known/jwks.json")
def jwks():
    return jsonify({"keys": [credentials.public_jwk()]})


@bp.route("/issuer")
def issuer():
    profile = credentials.issuer_profile()
    profile["@context"] = ["https://www.w3.org/ns/credentials/v2",
                           "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    profile["verificationMethod"] = [dict(credentials.public_jwk(), id=url_for("certification.jwks", _external=True))]
    return jsonify(profile)


# ---- the 百千万 dashboard --------------------------------------------------------------------------------------
def _dashboard(scope, *, template="certification/dashboard.html", public=False, school=None):
    from app.certification import progress

    summary = progress.summary_for(scope)
    teachers = progress.school_teachers(scope.school_id) if scope.school_id and not public else []
    return render_template(template, s=summary, public=public, school=school, teachers=teachers,
                           chart=_chart_data(summary), describe=progress.describe, label_of=progress.label_of,
                           unit_of=progress.unit_of)


def _chart_data(summary) -> dict:
    return {"trend": {"labels": [m for m, _n in summary.trend], "values": [n for _m, n in summary.trend],
                      "label": _("累计认证教师")},
            "phases": {"labels": [p["name"] for p in summary.phases], "values": [p["value"] for p in summary.phases],
                       "targets": [p["target"] for p in summary.phases], "label": _("培训人次"),
                       "target_label": _("阶段目标")},
            "provinces": {"labels": [p for p, _n in summary.by_province[:15]],
                          "values": [n for _p, n in summary.by_province[:15]], "label": _("认证教师")}}


@bp.route("/targets")
@limiter.limit("120/minute", scope="targets")
def targets():
    """Public: the national summary only."""
    from app.certification.progress import Scope

    return _dashboard(Scope(), public=True)


@bp.route("/progress")
@login_required
def progress_national():
    from app.certification.progress import Scope

    if not current_user.has_role("platform_admin"):
        if current_user.has_role("school_admin") and current_user.school_id:
            return redirect(url_for("certification.progress_school", school_id=current_user.school_id))
        raise PermissionDenied(_("您没有权限执行此操作。"))
    return _dashboard(Scope())


@bp.route("/progress/provinces/<province>")
@login_required
def progress_province(province: str):
    from app.certification.progress import Scope

    _require(current_user.has_role("platform_admin"))
    return _dashboard(Scope(province=province[:32]))


def _school_scope(school_id: int):
    from app.orgs.models import School

    school = db.session.get(School, school_id) or abort(404)
    _require(current_user.has_role("platform_admin") or (current_user.has_role("school_admin")
                                                         and current_user.school_id == school.id))
    return school


@bp.route("/progress/schools/<int:school_id>")
@login_required
def progress_school(school_id: int):
    from app.certification.progress import Scope

    school = _school_scope(school_id)
    return _dashboard(Scope(school_id=school.id), school=school)


@bp.route("/progress/export.xlsx")
@login_required
def progress_export():
    from app.certification import progress
    from app.core.exports import to_xlsx

    if request.args.get("school", type=int):
        scope = progress.Scope(school_id=_school_scope(request.args.get("school", type=int)).id)
    else:
        _require(current_user.has_role("platform_admin"))
        scope = progress.Scope(province=(request.args.get("province") or None))
    summary = progress.summary_for(scope)
    data = to_xlsx([_("类别"), _("项目"), _("数值"), _("目标"), _("完成度")], progress.export_rows(summary),
                   title=_("百千万目标进展"))
    response = current_app.response_class(
        data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers.update(download_name(_("百千万进展.xlsx")))
    return response
