"""Question bank pages: banks, the bank's question list, authoring per type, knowledge points, import
(upload -> preview -> confirm) and export, and the files used in question text."""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.services import require
from app.core.exports import download_name
from app.core.pagination import paginate
from app.core.storage import get_storage, new_key
from app.errors import FORM_REFUSED_STATUS, DomainError, NotFound, ValidationError, form_refused, get_or_raise
from app.extensions import db
from app.questions import forms, importing, media, permissions, sanitize, services
from app.questions.models import QuestionFile
from app.questions.types import TYPES
from app.review import permissions as review_permissions
from app.standards.browse import task_options

bp = Blueprint("questions", __name__, url_prefix="/questions")

PREVIEW_LIMIT = 50
_IMPORT_SESSION_KEY = "question_imports"


# ---------------------------------------------------------------------------------------------- banks

@bp.route("/")
@login_required
def banks():
    require(permissions.can_list_banks(current_user))
    page = paginate(services.visible_banks_statement(current_user))
    return render_template("questions/banks.html", page=page, counts=services.question_counts(page.items),
                           can_create=permissions.can_create_bank(current_user))


def _profession_choices():
    from app.catalog.services import profession_choices

    return [(0, _("（不限专业）"))] + profession_choices()


@bp.route("/banks/new", methods=["GET", "POST"])
@login_required
def new_bank():
    require(permissions.can_create_bank(current_user))
    form = forms.BankForm()
    form.profession_id.choices = _profession_choices()
    if form.validate_on_submit():
        from app.catalog.services import get_profession

        profession = get_profession(form.profession_id.data) if form.profession_id.data else None
        school_id = None if current_user.has_role("platform_admin") else current_user.school_id
        try:
            bank = services.create_bank(key=form.key.data, name=form.name.data, profession=profession,
                                        school_id=school_id, description=form.description.data or "",
                                        actor=current_user)
        except DomainError as exc:  # a malformed or taken key: beside the key field
            return form_refused(exc, "questions/bank_form.html", form=form, field="key")
        db.session.commit()
        flash(_("题库“%(name)s”已创建。", name=bank.name), "success")
        return redirect(url_for("questions.bank", bank_id=bank.id))
    return render_template("questions/bank_form.html", form=form)


def _load_bank(bank_id: int, *, edit: bool = False):
    bank = services.get_bank(bank_id)
    require(permissions.can_edit_bank(current_user, bank) if edit else permissions.can_view_bank(current_user, bank))
    return bank


@bp.route("/banks/<int:bank_id>")
@login_required
def bank(bank_id: int):
    bank = _load_bank(bank_id)
    args = request.args
    filters = {"type_name": args.get("type", ""), "difficulty": args.get("difficulty", type=int),
               "knowledge_point_id": args.get("point", type=int), "tag": args.get("tag", "").strip(),
               "q": args.get("q", "").strip()}
    page = paginate(services.question_list_statement(bank, **filters))
    return render_template("questions/bank.html", bank=bank, page=page, filters=filters, types=TYPES,
                           points=services.knowledge_points(bank), tags=services.bank_tags(bank),
                           can_edit=permissions.can_edit_bank(current_user, bank),
                           pending=services.pending_count(bank), form=forms.ActionForm(),
                           can_review=review_permissions.can_review(current_user),
                           export_formats=[f for f in importing.FORMATS.values() if f.can_export])


@bp.route("/banks/<int:bank_id>/approve-pending", methods=["POST"])
@login_required
def approve_pending(bank_id: int):
    """A reviewer approves every version of the bank waiting for review (a whole import) in one action."""
    bank = _load_bank(bank_id)
    require(review_permissions.can_review(current_user))
    form = forms.ActionForm()
    if not form.validate_on_submit():
        raise ValidationError(_("请求已过期，请刷新页面后重试。"))
    approved, skipped = services.approve_pending(bank, current_user)
    db.session.commit()
    flash(_("已通过 %(n)s 个试题版本，考试现在可以使用它们。", n=approved), "success")
    if skipped:
        flash(_("另有 %(n)s 个版本由您本人编写或提交，不能由您审核，请交给其他审核专家。", n=skipped), "warning")
    return redirect(url_for("questions.bank", bank_id=bank.id))


# ----------------------------------------------------------------------------------- knowledge points

@bp.route("/banks/<int:bank_id>/points", methods=["GET", "POST"])
@login_required
def points(bank_id: int):
    bank = _load_bank(bank_id)
    can_edit = permissions.can_edit_bank(current_user, bank)
    all_points = services.knowledge_points(bank)
    form = forms.KnowledgePointForm()
    form.parent_id.choices = [(0, _("（顶级）"))] + [(p.id, p.path) for p in all_points]
    # Tasks of the current standards of the bank's profession (of every profession for a bank without one).
    form.learning_task_id.choices = [(0, _("（不关联）"))] + task_options(bank.profession_id)
    if request.method == "POST":
        require(can_edit)
        if form.validate_on_submit():
            parent = services.get_knowledge_point(bank, form.parent_id.data or None)
            point = services.create_knowledge_point(bank, name=form.name.data, parent=parent,
                                                    learning_task_id=form.learning_task_id.data or None)
            db.session.commit()
            flash(_("知识点“%(path)s”已添加。", path=point.path), "success")
            return redirect(url_for("questions.points", bank_id=bank.id))
    return render_template("questions/points.html", bank=bank, points=all_points, form=form, can_edit=can_edit,
                           task_names=services.learning_task_names(all_points))


# ------------------------------------------------------------------------------------------ questions

def _question_form(bank, type_name: str, version=None, question=None):
    form_class = forms.FORMS.get(type_name)
    if form_class is None:
        raise NotFound(_("未知的题型。"))
    form = form_class()
    form.previous = version.data if version is not None else None
    form.knowledge_point_id.choices = [(0, _("（无）"))] + [(p.id, p.path) for p in services.knowledge_points(bank)]
    if version is not None and request.method == "GET":
        form.text.data, form.name.data = version.text, version.name
        form.points.data, form.difficulty.data = version.points, version.difficulty
        form.explanation.data, form.general_feedback.data = version.explanation, version.general_feedback
        form.knowledge_point_id.data = question.knowledge_point_id or 0
        form.tags.data = "，".join(question.tag_names)
        form.id_number.data = question.id_number or ""
        form.version.data = version.number
        form.load(version.data)
    return form


def _fields_from(form, bank, type_name: str) -> dict:
    text = sanitize.auto_to_html(form.text.data or "")
    upload = form.image.data
    if upload and getattr(upload, "filename", ""):
        record = media.store_question_file(bank, upload.filename, upload.read())
        if record is None or not record.content_type.startswith("image/"):
            raise ValidationError(_("插图必须是 PNG、JPEG、GIF 或 WebP 图片。"))
        text += f'<p><img src="{media.file_url(record)}" alt=""></p>'
    return services.prepare_fields(type_name, text=text, data=form.to_data(), name=form.name.data or "",
                                   points=form.points.data, difficulty=form.difficulty.data,
                                   explanation=sanitize.auto_to_html(form.explanation.data or ""),
                                   general_feedback=sanitize.auto_to_html(form.general_feedback.data or ""))


@bp.route("/banks/<int:bank_id>/new/<type_name>", methods=["GET", "POST"])
@login_required
def new_question(bank_id: int, type_name: str):
    bank = _load_bank(bank_id, edit=True)
    form = _question_form(bank, type_name)
    if form.validate_on_submit():
        fields = _fields_from(form, bank, type_name)
        point = services.get_knowledge_point(bank, form.knowledge_point_id.data or None)
        question = services.create_question(bank, fields, tags=form.tags.data or "", knowledge_point=point,
                                            id_number=form.id_number.data, actor=current_user,
                                            change_note=form.change_note.data or "")
        db.session.commit()
        flash(_("试题已保存并提交审核，审核通过后才会用于考试。"), "success")
        return redirect(url_for("questions.question", question_id=question.id))
    return render_template("questions/question_form.html", bank=bank, form=form, type=TYPES[type_name],
                           question=None)


def _load_question(question_id: int, *, edit: bool = False):
    question = services.get_question(question_id)
    bank = services.get_bank(question.bank_id)
    require(permissions.can_edit_bank(current_user, bank) if edit else permissions.can_view_bank(current_user, bank))
    return question, bank


@bp.route("/<int:question_id>")
@login_required
def question(question_id: int):
    question, bank = _load_question(question_id)
    all_versions = services.versions(question)
    # ``?v=N`` shows one version (the review queue links to the version under review); default: the newest.
    number = request.args.get("v", type=int)
    version = next((v for v in all_versions if v.number == number), None) if number else question.current_version
    if version is None:
        raise NotFound(_("试题版本不存在。"))
    qtype = TYPES[version.type]
    approved = next((v for v in all_versions if v.id == question.approved_version_id), None)
    return render_template("questions/question.html", bank=bank, question=question, version=version, type=qtype,
                           view=qtype.public_view(version), answer=qtype.correct_answer_view(version.data),
                           versions=all_versions, approved=approved, form=forms.ActionForm(),
                           can_edit=permissions.can_edit_bank(current_user, bank),
                           can_review=review_permissions.can_review(current_user))


@bp.route("/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit_question(question_id: int):
    question, bank = _load_question(question_id, edit=True)
    version = question.current_version
    form = _question_form(bank, version.type, version, question)
    if form.validate_on_submit():
        fields = _fields_from(form, bank, version.type)
        point = services.get_knowledge_point(bank, form.knowledge_point_id.data or None)
        expected = int(form.version.data) if (form.version.data or "").isdigit() else None
        created = services.edit_question(question, fields, tags=services.clean_tags(form.tags.data or ""),
                                         knowledge_point=point, actor=current_user,
                                         change_note=form.change_note.data or "", expected_version=expected)
        db.session.commit()
        flash(_("已保存为第 %(n)s 版并提交审核，审核通过前考试仍使用已通过的版本。", n=created.number) if created
              else _("内容没有变化。"), "success")
        return redirect(url_for("questions.question", question_id=question.id))
    return render_template("questions/question_form.html", bank=bank, form=form, type=TYPES[version.type],
                           question=question)


@bp.route("/<int:question_id>/active", methods=["POST"])
@login_required
def set_active(question_id: int):
    question, _bank = _load_question(question_id, edit=True)
    form = forms.ActionForm()
    if not form.validate_on_submit():
        raise ValidationError(_("请求已过期，请刷新页面后重试。"))
    active = request.form.get("active") == "1"
    services.set_question_active(question, active)
    db.session.commit()
    flash(_("试题已恢复使用。") if active else _("试题已停用：不会再被抽入新试卷，已有答卷不受影响。"), "success")
    return redirect(url_for("questions.question", question_id=question.id))


# ---------------------------------------------------------------------------------- import / export

def _pending() -> dict:
    return session.get(_IMPORT_SESSION_KEY) or {}


@bp.route("/banks/<int:bank_id>/import", methods=["GET", "POST"])
@login_required
def import_questions(bank_id: int):
    """Step 1: upload; the file is read and checked and a preview shown (nothing written yet)."""
    bank = _load_bank(bank_id, edit=True)
    form = forms.ImportForm()
    report, token, refused = None, None, False
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        filename = upload.filename or "questions"
        try:
            report = importing.import_file(filename, data, bank_key=bank.key, fmt=form.format.data,
                                           actor=current_user, dry_run=True)
        except DomainError as exc:
            # The file as a whole cannot be read (unknown format, too big, empty): say so at the upload field.
            db.session.rollback()
            form.file.errors = list(form.file.errors) + [exc.message]
            refused = True
        if report is not None and report.ok:
            # Keep the upload until the user confirms; the session only holds its generated key.
            token = secrets.token_urlsafe(16)
            key = new_key("question-imports", "bin")
            get_storage().put(key, data)
            pending = _pending()
            for old in list(pending):
                if pending[old]["bank_id"] == bank.id:
                    get_storage().delete(pending.pop(old)["key"])
            pending[token] = {"bank_id": bank.id, "key": key, "filename": filename, "format": report.format}
            session[_IMPORT_SESSION_KEY] = pending
    status = FORM_REFUSED_STATUS if refused or (report is not None and not report.ok) else 200
    return render_template("questions/import.html", bank=bank, form=form, report=report, token=token,
                           confirm=forms.ConfirmImportForm(token=token), preview_limit=PREVIEW_LIMIT,
                           types=TYPES), status


@bp.route("/banks/<int:bank_id>/import/confirm", methods=["POST"])
@login_required
def confirm_import(bank_id: int):
    """Step 2: write the previewed file (checked again: the bank may have changed meanwhile)."""
    bank = _load_bank(bank_id, edit=True)
    form = forms.ConfirmImportForm()
    if not form.validate_on_submit():
        raise ValidationError(_("请求已过期，请重新上传文件。"))
    pending = _pending()
    item = pending.get(form.token.data)
    if item is None or item["bank_id"] != bank.id:
        raise ValidationError(_("导入已过期或已完成，请重新上传文件。"))
    storage = get_storage()
    with storage.open(item["key"]) as fh:
        data = fh.read()
    report = importing.import_file(item["filename"], data, bank_key=bank.key, fmt=item["format"],
                                   actor=current_user)
    if not report.ok:
        db.session.rollback()
        return render_template("questions/import.html", bank=bank, form=forms.ImportForm(), report=report,
                               token=None, confirm=None, preview_limit=PREVIEW_LIMIT, types=TYPES), 400
    db.session.commit()
    storage.delete(item["key"])
    pending.pop(form.token.data, None)
    session[_IMPORT_SESSION_KEY] = pending
    flash(_("导入完成：新建 %(c)s 道，更新 %(u)s 道，未变 %(n)s 道。", c=report.created, u=report.updated,
            n=report.unchanged), "success")
    return redirect(url_for("questions.bank", bank_id=bank.id))


@bp.route("/banks/<int:bank_id>/export/<fmt>")
@login_required
def export(bank_id: int, fmt: str):
    bank = _load_bank(bank_id)
    data, mimetype, ext = importing.export_bank(bank, fmt)
    return Response(data, mimetype=mimetype, headers=download_name(f"{bank.name}{ext}"))


@bp.route("/template.xlsx")
@login_required
def template():
    require(permissions.can_list_banks(current_user))
    from app.questions.formats.xlsx import template as build

    return Response(build(), mimetype=importing.FORMATS["xlsx"].mimetype, headers=download_name("试题导入模板.xlsx"))


@bp.route("/files/<int:file_id>")
@login_required
def file(file_id: int):
    """A picture or sound of question text, for users who may see its bank, or whom a rule registered in
    ``permissions.FILE_VIEWERS`` lets see it (students taking an exam)."""
    record = get_or_raise(QuestionFile, file_id, _("文件不存在。"))
    require(permissions.can_view_file(current_user, record, services.get_bank(record.bank_id)))
    with get_storage().open(record.storage_key) as fh:
        data = fh.read()
    response = Response(data, mimetype=record.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.route("/template.docx")
@login_required
def template_docx():
    """The Word template (Chinese question-bank layout, one example per section)."""
    require(permissions.can_list_banks(current_user))
    from app.questions.formats.docx import template as build

    return Response(build(), mimetype=importing.FORMATS["docx"].mimetype, headers=download_name("试题导入模板.docx"))
