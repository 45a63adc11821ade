"""Videos and documents go through review (凡编必审): registered as kinds of the review workflow."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.media import permissions
from app.media.models import Document, Image, Video
from app.review.registry import register_kind


def _summary(resource) -> Markup:
    """What a reviewer checks at a glance in the queue: file name, size, format, link to the learning task."""
    parts = [escape(resource.file.original_name), escape(f"{resource.file.size / 1048576:.1f} MB")]
    if isinstance(resource, Video):
        parts.append(escape(f"{resource.width}×{resource.height} {resource.codec} {resource.duration:.0f}s"))
    if resource.description:
        parts.append(escape(resource.description[:300]))
    return Markup(" · ").join(parts)


def _forget(kind: str):
    """Unpublishing drops the streaming fast path's short memory of the file (in this process)."""
    def hook(resource) -> None:
        from app.media import streaming

        streaming.forget(kind, resource.id)
    return hook


register_kind("video", model=Video, label=_l("教学视频"), title=lambda v: v.title,
              url=lambda v: url_for("media.video", video_id=v.id), diff=_summary,
              owner_id=lambda v: v.created_by_id, can_submit=permissions.can_edit_media,
              on_withdraw=_forget("video"))
register_kind("document", model=Document, label=_l("课件/案例"), title=lambda d: d.title,
              url=lambda d: url_for("media.document", document_id=d.id), diff=_summary,
              owner_id=lambda d: d.created_by_id, can_submit=permissions.can_edit_media,
              on_withdraw=_forget("document"))
register_kind("image", model=Image, label=_l("插图"), title=lambda i: i.title,
              url=lambda i: url_for("media.image", image_id=i.id), diff=_summary,
              owner_id=lambda i: i.created_by_id, can_submit=permissions.can_edit_media,
              on_withdraw=_forget("image"))
