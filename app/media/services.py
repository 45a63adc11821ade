"""Media resources: create from uploads (single, bulk, CLI), edit, list, and the review hooks.

Resource kinds are a registry (:data:`RESOURCE_KINDS`): the upload service's kind of a file decides which model
it becomes. Services flush; the caller commits.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Engine, bindparam, func, literal, or_, select, union_all

from app.core import uploads
from app.errors import Conflict, DomainError, NotFound, ValidationError
from app.extensions import db
from app.media.models import Document, Image, MediaFile, Video
from app.review import services as review

#: Storage key prefix of everything this domain stores.
PREFIX = "media"


@dataclass
class ResourceKind:
    """How an upload of one kind becomes a resource."""

    name: str
    model: type
    #: build(stored upload, common fields) -> unsaved resource
    build: Callable


RESOURCE_KINDS: dict[str, ResourceKind] = {}


def resource_kind(name: str, model: type):
    def deco(build):
        RESOURCE_KINDS[name] = ResourceKind(name, model, build)
        return build
    return deco


@resource_kind("video", Video)
def _build_video(stored: uploads.StoredUpload, fields: dict) -> Video:
    poster = stored.derivatives.get("poster")
    return Video(duration=stored.info["duration"], codec=stored.info["codec"], width=stored.width,
                 height=stored.height, poster_key=poster.key if poster else None, **fields)


@resource_kind("document", Document)
def _build_document(stored: uploads.StoredUpload, fields: dict) -> Document:
    return Document(format=stored.format, **fields)


@resource_kind("image", Image)
def _build_image(stored: uploads.StoredUpload, fields: dict) -> Image:
    return Image(**fields)


def accepted_kinds() -> list[str]:
    return list(RESOURCE_KINDS)


def accepted_extensions() -> list[str]:
    return uploads.extensions_for(RESOURCE_KINDS)


def _title_from(name: str) -> str:
    stem, dot, _ext = name.rpartition(".")
    return (stem if dot and stem else name)[:200]


def _media_file(stored: uploads.StoredUpload, actor) -> MediaFile:
    preview = stored.derivatives.get("poster") or stored.derivatives.get("thumbnail")
    return MediaFile(storage_key=stored.key, original_name=stored.original_name[:255], kind=stored.kind,
                     format=stored.format, mime=stored.mime, size=stored.size, sha256=stored.sha256,
                     width=stored.width, height=stored.height, preview_key=preview.key if preview else None,
                     uploaded_by_id=actor.id if actor is not None else None)


def record_file(stored: uploads.StoredUpload, actor) -> MediaFile:
    """The MediaFile row of a stored upload, flushed so its id is known (task uploads and feedback files; a
    library resource adds its own in :func:`add_resource`)."""
    media = _media_file(stored, actor)
    db.session.add(media)
    db.session.flush()
    return media


def attach_files(file_storages, kinds_, *, prefix: str, actor, link) -> list:
    """Store several uploads, record each as a MediaFile and add the row ``link(media)`` builds for it. All or
    nothing: if one file is refused (or the rows cannot be written), the files already stored are deleted."""
    kept, rows = [], []
    try:
        for file_storage in file_storages:
            stored = uploads.store_upload(file_storage, kinds_, prefix=prefix)
            kept.append(stored)
            rows.append(link(record_file(stored, actor)))
            db.session.add(rows[-1])
        db.session.flush()
    except BaseException:
        for stored in kept:
            stored.discard()
        raise
    return rows


def add_resource(actor, stored: uploads.StoredUpload, *, profession_id: int, title: str | None = None,
                 description: str = "", learning_task_id: int | None = None):
    """Save a stored upload as a draft Video or Document of a profession. On failure the stored files are
    deleted again, so nothing is half-kept."""
    try:
        _check_profession(profession_id)
        _check_task(learning_task_id, profession_id)
        _refuse_duplicate(stored, profession_id)
        kind = RESOURCE_KINDS.get(stored.kind)
        if kind is None:
            raise ValidationError(_("此处只接受视频、文档和图片。"))
        media = _media_file(stored, actor)
        db.session.add(media)
        fields = dict(title=(title or "").strip()[:200] or _title_from(stored.original_name),
                      description=(description or "").strip(), profession_id=profession_id,
                      learning_task_id=learning_task_id, file=media,
                      created_by_id=actor.id if actor is not None else None)
        resource = kind.build(stored, fields)
        db.session.add(resource)
        db.session.flush()
        return resource
    except BaseException:
        stored.discard()
        raise


def store_file(file_storage) -> uploads.StoredUpload:
    """Check and store one uploaded file as a video or document, without any database work — so a view can
    do the slow part (copying, probing) before it takes the database's write lock."""
    return uploads.store_upload(file_storage, RESOURCE_KINDS, prefix=PREFIX)


def upload_resource(actor, file_storage, *, profession_id: int, title: str | None = None, description: str = "",
                    learning_task_id: int | None = None):
    """Check, store and save one uploaded file (video or document) as a draft. Raises a DomainError with the
    reason when the file is refused."""
    _check_profession(profession_id)
    stored = uploads.store_upload(file_storage, RESOURCE_KINDS, prefix=PREFIX)
    return add_resource(actor, stored, profession_id=profession_id, title=title, description=description,
                        learning_task_id=learning_task_id)


def import_path(actor, path: str, *, profession_id: int, title: str | None = None, description: str = "",
                learning_task_id: int | None = None, kinds: Iterable[str] | None = None):
    """Like :func:`upload_resource` for a file on disk (``flask media import``)."""
    _check_profession(profession_id)
    stored = uploads.store_path(path, kinds or RESOURCE_KINDS, prefix=PREFIX, filename=os.path.basename(path))
    return add_resource(actor, stored, profession_id=profession_id, title=title, description=description,
                        learning_task_id=learning_task_id)


@dataclass
class BulkResult:
    """The outcome for one file of a bulk upload."""

    filename: str
    resource: Video | Document | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.resource is not None


def store_files(files) -> list[BulkResult | uploads.StoredUpload]:
    """Step 1 of a bulk upload (no database work): each file checked and stored on its own; a refused file
    becomes a BulkResult with the reason."""
    out = []
    for file_storage in files:
        try:
            out.append(store_file(file_storage))
        except DomainError as exc:
            out.append(BulkResult(uploads.display_name(file_storage.filename), error=exc.message))
    return out


def save_bulk(actor, stored_files, *, profession_id: int) -> list[BulkResult]:
    """Step 2 of a bulk upload: each stored file becomes a draft of the profession, independently (its own
    savepoint; a refused one has its stored files removed and is reported)."""
    _check_profession(profession_id)
    results = []
    for stored in stored_files:
        if isinstance(stored, BulkResult):
            results.append(stored)
            continue
        try:
            with db.session.begin_nested():
                resource = add_resource(actor, stored, profession_id=profession_id)
            results.append(BulkResult(stored.original_name, resource=resource))
        except DomainError as exc:
            results.append(BulkResult(stored.original_name, error=exc.message))
    return results


def bulk_upload(actor, files, *, profession_id: int) -> list[BulkResult]:
    """Both steps of a bulk upload at once (for callers that hold no write lock, e.g. the CLI)."""
    _check_profession(profession_id)
    return save_bulk(actor, store_files(files), profession_id=profession_id)


def _check_profession(profession_id: int | None) -> None:
    from app.catalog.models import Profession

    if not profession_id or db.session.get(Profession, profession_id) is None:
        raise ValidationError(_("请选择所属专业。"))


def _refuse_duplicate(stored: uploads.StoredUpload, profession_id: int) -> None:
    """The same file (by SHA-256) once per profession: re-running a bulk upload or an import adds nothing."""
    kind = RESOURCE_KINDS.get(stored.kind)
    if kind is None:
        return
    model = kind.model
    title = db.session.scalar(select(model.title).join(MediaFile, MediaFile.id == model.file_id)
                              .where(MediaFile.sha256 == stored.sha256, model.profession_id == profession_id)
                              .limit(1))
    if title is not None:
        raise Conflict(_("该专业已有相同的文件：“%(title)s”。", title=title))


def _check_task(learning_task_id: int | None, profession_id: int) -> None:
    """A linked learning task must belong to a course standard of the resource's profession."""
    if not learning_task_id:
        return
    from app.standards.models import CourseStandard, IntegratedCourse, LearningTask, StandardVersion

    owner = db.session.scalar(
        select(CourseStandard.profession_id).join(StandardVersion, StandardVersion.standard_id == CourseStandard.id)
        .join(IntegratedCourse, IntegratedCourse.version_id == StandardVersion.id)
        .join(LearningTask, LearningTask.course_id == IntegratedCourse.id)
        .where(LearningTask.id == learning_task_id))
    if owner != profession_id:
        raise ValidationError(_("所选学习任务不属于该专业。"))


def linked_task(resource):
    """The learning task a resource is linked to (with its course loaded), or None."""
    if not resource.learning_task_id:
        return None
    from sqlalchemy.orm import joinedload

    from app.standards.models import LearningTask

    return db.session.scalar(select(LearningTask).options(joinedload(LearningTask.course))
                             .where(LearningTask.id == resource.learning_task_id))


def update_resource(resource, *, title: str, description: str, learning_task_id: int | None) -> None:
    """Change a resource's descriptive fields; only while it is editable (not submitted or published)."""
    review.require_editable(resource)
    _check_task(learning_task_id, resource.profession_id)
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("标题不能为空。"))
    resource.title = title[:200]
    resource.description = (description or "").strip()
    resource.learning_task_id = learning_task_id
    db.session.flush()


def delete_resource(resource) -> list[str]:
    """Delete an unpublished resource and its file record; returns the storage keys, which the caller removes
    from storage after committing (so a failed commit never leaves rows pointing at deleted files).
    Published or submitted resources are refused: withdraw them first. Review history stays (append-only)."""
    review.require_editable(resource)
    media = resource.file
    keys = [k for k in {media.storage_key, media.preview_key, getattr(resource, "poster_key", None)} if k]
    db.session.delete(resource)
    db.session.flush()
    db.session.delete(media)
    db.session.flush()
    return keys


def remove_stored(keys: Iterable[str]) -> None:
    """Remove files from storage (after the rows that pointed at them were deleted and committed)."""
    from app.core import storage

    store = storage.get_storage()
    for key in keys:
        store.delete(key)


def get_resource(kind: str, resource_id: int):
    """The video or document (404 when unknown). Visibility is the caller's check (permissions)."""
    entry = RESOURCE_KINDS.get(kind)
    resource = db.session.get(entry.model, resource_id) if entry else None
    if resource is None:
        raise NotFound(_("资源不存在或已被删除。"))
    return resource


_DELIVERY: dict[str, object] = {}


def _delivery_statement(kind: str):
    """Built once per kind: constructing a SELECT costs more than running it on this hot path."""
    stmt = _DELIVERY.get(kind)
    if stmt is None:
        model = RESOURCE_KINDS[kind].model
        stmt = _DELIVERY[kind] = (
            select(model.review_state, model.created_by_id, MediaFile.storage_key, MediaFile.mime, MediaFile.sha256,
                   MediaFile.original_name, MediaFile.preview_key)
            .join(MediaFile, MediaFile.id == model.file_id).where(model.id == bindparam("resource_id")))
    return stmt


@contextmanager
def _lookup_connection():
    """A pooled connection used directly, outside the ORM session: on the streaming path the session's own
    bookkeeping costs more than the one indexed lookup. (Tests bind the session to a Connection: use that.)"""
    bind = db.engine  # not the session: creating one is part of the cost avoided here
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            yield conn
    else:
        yield bind


def delivery(kind: str, resource_id: int):
    """What serving a resource's file needs, in one light statement (no ORM objects: this is the hot path of
    video streaming): review_state, created_by_id, storage_key, mime, sha256, original_name, preview_key.
    404 when unknown."""
    with _lookup_connection() as conn:
        row = conn.execute(_delivery_statement(kind), {"resource_id": resource_id}).first()
    if row is None:
        raise NotFound(_("资源不存在或已被删除。"))
    return row


def library(kind: str, *, profession_id: int, q: str = "", state: str = "", viewer=None,
            include_drafts: bool = False):
    """The statement for a profession's library of one kind, newest first: published resources, plus the
    viewer's own unpublished ones (and everyone's for reviewers/admins when ``include_drafts``)."""
    model = RESOURCE_KINDS[kind].model
    stmt = select(model).where(model.profession_id == profession_id).order_by(model.created_at.desc(),
                                                                                model.id.desc())
    visible = [model.review_state == "approved"]
    if include_drafts:
        visible = [model.id.is_not(None)]
    elif viewer is not None and viewer.is_authenticated:
        visible.append(model.created_by_id == viewer.id)
    stmt = stmt.where(or_(*visible))
    if state:
        stmt = stmt.where(model.review_state == state)
    if q:
        q = q.strip()  # autoescape: a searched % or _ is a character, not a wildcard
        stmt = stmt.where(or_(model.title.icontains(q, autoescape=True),
                              model.description.icontains(q, autoescape=True)))
    return stmt


def published_counts() -> dict[int, dict[str, int]]:
    """Published videos and documents per profession id (one statement per kind)."""
    counts: dict[int, dict[str, int]] = {}
    # One statement for every kind (UNION ALL), so adding a kind does not add a round trip to the index page.
    parts = [select(literal(kind.name).label("kind"), kind.model.profession_id.label("profession_id"),
                    func.count().label("n"))
             .where(kind.model.review_state == "approved").group_by(kind.model.profession_id)
             for kind in RESOURCE_KINDS.values()]
    for kind, profession_id, n in db.session.execute(union_all(*parts)):
        counts.setdefault(profession_id, {})[kind] = n
    return counts


def published_for_tasks(task_ids: Iterable[int]) -> dict[int, dict[str, list]]:
    """Published videos and documents linked to the given learning tasks: {task id: {kind: [resources]}}.
    One statement per kind, whatever the number of tasks."""
    ids = list(task_ids)
    out: dict[int, dict[str, list]] = {}
    if not ids:
        return out
    for kind in RESOURCE_KINDS.values():
        model = kind.model
        rows = db.session.scalars(select(model).where(model.learning_task_id.in_(ids),
                                                      model.review_state == "approved")
                                  .order_by(model.title, model.id))
        for resource in rows:
            out.setdefault(resource.learning_task_id, {}).setdefault(kind.name, []).append(resource)
    return out


def kind_name(resource) -> str:
    for kind in RESOURCE_KINDS.values():
        if isinstance(resource, kind.model):
            return kind.name
    raise LookupError(type(resource).__name__)
