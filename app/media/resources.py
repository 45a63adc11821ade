"""Approved videos, documents and pictures linked to learning tasks appear on the profession page (the resource
package) and in its coverage view: providers for :mod:`app.standards.resources`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.extensions import db
from app.core.pdf_images import register_image_source
from app.core.storage import get_storage
from app.media.models import Document, Image, MediaFile, Video
from app.standards.resources import ResourceLink, register_resource_provider, url_maker


def _duration(seconds: float) -> str:
    total = int(round(seconds or 0))
    return f"{total // 60}:{total % 60:02d}"


def _video_links(rows) -> dict[int, list[ResourceLink]]:
    out: dict[int, list[ResourceLink]] = {}
    video_url = url_maker("media.video", "video_id")
    for video_id, title, task_id, duration in rows:
        out.setdefault(task_id, []).append(ResourceLink("video", title, video_url(video_id),
                                                        detail=_duration(duration)))
    return out


def _document_links(rows) -> dict[int, list[ResourceLink]]:
    out: dict[int, list[ResourceLink]] = {}
    document_url = url_maker("media.document", "document_id")
    for document_id, title, task_id, fmt in rows:
        out.setdefault(task_id, []).append(ResourceLink("document", title, document_url(document_id),
                                                        detail=fmt.upper()))
    return out


def _image_links(rows) -> dict[int, list[ResourceLink]]:
    out: dict[int, list[ResourceLink]] = {}
    image_url = url_maker("media.image", "image_id")
    for image_id, title, task_id, (fmt, width, height) in rows:
        detail = f"{fmt.upper()} {width}×{height}" if width and height else fmt.upper()
        out.setdefault(task_id, []).append(ResourceLink("image", title, image_url(image_id), detail=detail))
    return out


def _query(model, extra, task_ids, q: str | None = None):
    stmt = (select(model.id, model.title, model.learning_task_id, extra)
            .where(model.learning_task_id.in_(list(task_ids)), model.review_state == "approved")
            .order_by(model.title, model.id))
    if q:
        q = q.strip()  # autoescape: a searched % or _ is a character, not a wildcard
        stmt = stmt.where(or_(model.title.icontains(q, autoescape=True),
                              model.description.icontains(q, autoescape=True)))
    return db.session.execute(stmt)


def videos_for_tasks(task_ids):
    """Approved videos per learning task id (one statement)."""
    return _video_links(_query(Video, Video.duration, task_ids))


def search_videos(q, task_ids):
    return _video_links(_query(Video, Video.duration, task_ids, q))


def documents_for_tasks(task_ids):
    """Approved documents per learning task id (one statement)."""
    return _document_links(_query(Document, Document.format, task_ids))


def search_documents(q, task_ids):
    return _document_links(_query(Document, Document.format, task_ids, q))


def _image_query(task_ids, q: str | None = None):
    """Like :func:`_query`, with the stored file's format and pixel size as the extra column (a tuple)."""
    stmt = (select(Image.id, Image.title, Image.learning_task_id, MediaFile.format, MediaFile.width, MediaFile.height)
            .join(MediaFile, MediaFile.id == Image.file_id)
            .where(Image.learning_task_id.in_(list(task_ids)), Image.review_state == "approved")
            .order_by(Image.title, Image.id))
    if q:
        q = q.strip()
        stmt = stmt.where(or_(Image.title.icontains(q, autoescape=True),
                              Image.description.icontains(q, autoescape=True)))
    return ((image_id, title, task_id, (fmt, width, height))
            for image_id, title, task_id, fmt, width, height in db.session.execute(stmt))


def images_for_tasks(task_ids):
    """Approved pictures per learning task id (one statement)."""
    return _image_links(_image_query(task_ids))


def search_images(q, task_ids):
    return _image_links(_image_query(task_ids, q))


def printable_images(image_ids: list[int]) -> dict[int, bytes]:
    """Bytes of the approved images among ``image_ids`` (one statement), for PDFs; missing files are left out."""
    rows = db.session.execute(select(Image.id, MediaFile.storage_key).join(MediaFile, MediaFile.id == Image.file_id)
                              .where(Image.id.in_(image_ids), Image.review_state == "approved"))
    store, out = get_storage(), {}
    for image_id, key in rows:
        try:
            fh = store.open(key)
            try:
                out[image_id] = fh.read()
            finally:
                fh.close()
        except (OSError, LookupError):  # file gone from storage: the PDF prints a note instead
            continue
    return out


register_image_source(r"^/media/images/(\d{1,18})/file$", printable_images)
register_resource_provider("video", videos_for_tasks, label=_l("教学视频"), search=search_videos)
register_resource_provider("document", documents_for_tasks, label=_l("课件/案例"), search=search_documents)
register_resource_provider("image", images_for_tasks, label=_l("插图"), search=search_images)
