"""Media pages: library per profession, upload (single and bulk), video and document pages, file delivery."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.services import require
from app.catalog import services as catalog
from app.catalog.models import Profession
from app.core import uploads
from app.core.database import begin_write, writes_late
from app.core.i18n import by_pinyin
from app.core.pagination import paginate
from app.core.templating import NAVIGATION
from app.errors import FORM_REFUSED_STATUS, DomainError, ValidationError, form_refused
from app.extensions import db
from app.media import forms, permissions, services, streaming
from app.review.labels import STATE_LABELS

bp = Blueprint("media", __name__, url_prefix="/media")
uploads.install(bp)
# Published files are answered in front of Flask (app/media/streaming.py); the file views below serve the rest.
bp.record_once(lambda state: streaming.install(state.app))

#: Files one bulk upload may carry, and their total size.
BULK_MAX_FILES = 50


def _bulk_total() -> int:
    return int(current_app.config.get("MEDIA_BULK_MAX_BYTES") or 4 * 1024 * 1024 * 1024)


def _profession_choices() -> list[tuple[int, str]]:
    return [(0, _("请选择专业"))] + catalog.profession_choices()


def _task_choices(profession_id: int | None = None) -> list[tuple[int, str]]:
    from app.standards.browse import task_options

    return [(0, _("（不关联）"))] + task_options(profession_id)


def _visible(kind: str, resource_id: int):
    """Load (404) and authorise: an unpublished resource is 404 for anyone who may not see it."""
    resource = services.get_resource(kind, resource_id)
    if not permissions.can_view_media(current_user, resource):
        abort(404)
    return resource


@bp.route("")
@login_required
def index():
    counts = services.published_counts()
    professions = by_pinyin(db.session.execute(select(Profession.id, Profession.name)
                                               .where(Profession.id.in_(counts))), key=lambda row: row[1]) \
        if counts else []
    return render_template("media/index.html", professions=professions, counts=counts,
                           can_upload=permissions.can_upload_media(current_user),
                           can_bulk=permissions.can_bulk_upload_media(current_user))


@bp.route("/professions/<int:profession_id>")
@login_required
def library(profession_id: int):
    profession = catalog.get_profession(profession_id)
    kind = request.args.get("kind", "video")
    if kind not in services.RESOURCE_KINDS:
        kind = "video"
    state = request.args.get("state", "")
    if state not in STATE_LABELS:
        state = ""
    stmt = services.library(kind, profession_id=profession.id, q=request.args.get("q", "")[:100], state=state,
                            viewer=current_user, include_drafts=permissions.can_see_drafts(current_user))
    return render_template("media/library.html", profession=profession, kind=kind, state=state,
                           page=paginate(stmt), states=STATE_LABELS,
                           can_upload=permissions.can_upload_media(current_user))


@bp.route("/upload", methods=["GET", "POST"])
@uploads.upload_endpoint(services.RESOURCE_KINDS)
@login_required
@writes_late
def upload():
    require(permissions.can_upload_media(current_user))
    form = forms.UploadForm()
    form.profession_id.choices = _profession_choices()
    form.file.render_kw = {"accept": ",".join(services.accepted_extensions())}
    form.learning_task_id.choices = _task_choices()
    if request.method == "GET" and request.args.get("profession", type=int):
        form.profession_id.data = request.args.get("profession", type=int)
    status = 200
    if form.validate_on_submit():
        try:
            stored = services.store_file(form.file.data)  # the slow part, before the write lock
            _begin_write_or_discard([stored])
            resource = services.add_resource(current_user, stored, profession_id=form.profession_id.data,
                                             title=form.title.data, description=form.description.data,
                                             learning_task_id=form.learning_task_id.data or None)
        except DomainError as exc:
            return form_refused(exc, "media/upload.html", form=form, field="file",
                                accept=",".join(services.accepted_extensions()), limits=_limits_mb())
        db.session.commit()
        flash(_("“%(title)s”已上传为草稿。确认无误后请提交审核。", title=resource.title), "success")
        return redirect(_resource_url(resource))
    elif request.method == "POST":
        status = FORM_REFUSED_STATUS
    return render_template("media/upload.html", form=form, accept=",".join(services.accepted_extensions()),
                           limits=_limits_mb()), status


def _begin_write_or_discard(stored) -> None:
    """Take the database write slot (SQLite: BEGIN IMMEDIATE) for the read-then-write that follows; if that
    fails, the files already stored must not stay behind."""
    try:
        begin_write()
    except BaseException:
        for item in stored:
            item.discard()
        raise


def _limits_mb() -> dict[str, int]:
    return {kind: uploads.limit_for(kind) // uploads.MiB for kind in services.RESOURCE_KINDS}


@bp.route("/bulk", methods=["GET", "POST"])
@uploads.upload_endpoint(services.RESOURCE_KINDS, total=_bulk_total)
@login_required
@writes_late
def bulk():
    require(permissions.can_bulk_upload_media(current_user))
    form = forms.BulkUploadForm()
    form.profession_id.choices = _profession_choices()
    form.files.render_kw = {"accept": ",".join(services.accepted_extensions())}
    results, status = None, 200
    if form.validate_on_submit():
        files = [f for f in form.files.data if f and f.filename]
        if not files:
            flash(_("请选择要上传的文件。"), "danger")
            status = FORM_REFUSED_STATUS
        elif len(files) > BULK_MAX_FILES:
            flash(_("一次最多上传 %(n)s 个文件。", n=BULK_MAX_FILES), "danger")
            status = FORM_REFUSED_STATUS
        else:
            try:
                stored = services.store_files(files)  # the slow part, before the write lock
                _begin_write_or_discard([f for f in stored if not isinstance(f, services.BulkResult)])
                results = services.save_bulk(current_user, stored, profession_id=form.profession_id.data)
            except DomainError as exc:
                return form_refused(exc, "media/bulk.html", form=form, results=None,
                                    accept=",".join(services.accepted_extensions()), max_files=BULK_MAX_FILES,
                                    resource_url=_resource_url)
            else:
                db.session.commit()
                ok = sum(1 for r in results if r.ok)
                flash(_("已上传 %(ok)s 个文件为草稿，%(bad)s 个未通过检查。", ok=ok, bad=len(results) - ok),
                      "success" if ok == len(results) else "warning")
    elif request.method == "POST":
        status = FORM_REFUSED_STATUS
    return render_template("media/bulk.html", form=form, results=results,
                           accept=",".join(services.accepted_extensions()), max_files=BULK_MAX_FILES,
                           resource_url=_resource_url), status


#: kind -> (detail endpoint, its id argument).
DETAIL_ENDPOINTS = {"video": ("media.video", "video_id"), "document": ("media.document", "document_id"),
                    "image": ("media.image", "image_id")}


def _resource_url(resource) -> str:
    endpoint, arg = DETAIL_ENDPOINTS[services.kind_name(resource)]
    return url_for(endpoint, **{arg: resource.id})


def _detail(kind: str, resource_id: int):
    """A video's, document's or picture's page (media/<kind>.html gets the resource under its kind's name)."""
    resource = _visible(kind, resource_id)
    return render_template(f"media/{kind}.html", **{kind: resource}, task=services.linked_task(resource),
                           can_edit=permissions.can_edit_media(current_user, resource),
                           delete_form=forms.DeleteForm())


@bp.route("/videos/<int:video_id>")
@login_required
def video(video_id: int):
    return _detail("video", video_id)


@bp.route("/documents/<int:document_id>")
@login_required
def document(document_id: int):
    return _detail("document", document_id)


@bp.route("/images/<int:image_id>")
@login_required
def image(image_id: int):
    return _detail("image", image_id)


@bp.route("/<any(video, document, image):kind>/<int:resource_id>/edit", methods=["GET", "POST"])
@login_required
def edit(kind: str, resource_id: int):
    resource = services.get_resource(kind, resource_id)
    require(permissions.can_edit_media(current_user, resource))
    form = forms.EditForm(obj=resource)
    form.learning_task_id.choices = _task_choices(resource.profession_id)
    if request.method == "GET":
        form.learning_task_id.data = resource.learning_task_id or 0
    status = 200
    if form.validate_on_submit():
        try:
            begin_write()
            services.update_resource(resource, title=form.title.data, description=form.description.data,
                                     learning_task_id=form.learning_task_id.data or None)
        except DomainError as exc:
            return form_refused(exc, "media/edit.html", form=form, resource=resource, kind=kind)
        db.session.commit()
        flash(_("已保存。"), "success")
        return redirect(_resource_url(resource))
    elif request.method == "POST":
        status = FORM_REFUSED_STATUS
    return render_template("media/edit.html", form=form, resource=resource, kind=kind), status


@bp.route("/<any(video, document, image):kind>/<int:resource_id>/delete", methods=["POST"])
@login_required
def delete(kind: str, resource_id: int):
    resource = services.get_resource(kind, resource_id)
    require(permissions.can_edit_media(current_user, resource))
    if not forms.DeleteForm().validate_on_submit():
        raise ValidationError(_("表单无效，请刷新后重试。"))
    profession_id, title = resource.profession_id, resource.title
    begin_write()
    keys = services.delete_resource(resource)
    db.session.commit()
    services.remove_stored(keys)
    flash(_("“%(title)s”已删除。", title=title), "success")
    return redirect(url_for("media.library", profession_id=profession_id, kind=kind))


# File delivery. No login required for published files (a published resource package is public, and players,
# download managers and nginx sub-requests carry no session); unpublished files are 404 unless the session's
# user may see them. Checking the state first keeps the published path to one SQL statement.

def _deliverable(kind: str, resource_id: int):
    """Load (404) and authorise (404 too: an unpublished file's existence is not revealed) a file to serve."""
    facts = services.delivery(kind, resource_id)
    if not permissions.can_view_media(current_user, facts):
        abort(404)
    return facts


@bp.route("/videos/<int:video_id>/file")
def video_file(video_id: int):
    return streaming.serve(_deliverable("video", video_id), "video", "file")


@bp.route("/videos/<int:video_id>/poster.jpg")
def video_poster(video_id: int):
    return streaming.serve(_deliverable("video", video_id), "video", "poster") or abort(404)


@bp.route("/documents/<int:document_id>/file")
def document_file(document_id: int):
    return streaming.serve(_deliverable("document", document_id), "document", "file")


@bp.route("/images/<int:image_id>/file")
def image_file(image_id: int):
    return streaming.serve(_deliverable("image", image_id), "image", "file")


NAVIGATION.append(("media.index", _l("教学资源"), None, "resources"))


@bp.app_template_filter("duration")
def duration_filter(seconds) -> str:
    """12:05 or 1:02:03."""
    total = int(round(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@bp.app_template_filter("filesize")
def filesize_filter(size) -> str:
    size = float(size or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
