"""Media files and the resources built on them: teaching videos and documents, organised by profession."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db
from app.review.models import Reviewable


class MediaFile(db.Model):
    """One stored file as the upload service kept it (``app.core.uploads.StoredUpload``)."""

    __tablename__ = "media_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Generated storage key (never derived from the uploader's file name).
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    #: The uploader's file name, for display and as the download name only.
    original_name: Mapped[str] = mapped_column(String(255))
    #: ``video``, ``document`` or ``image`` (the upload service's kind).
    kind: Mapped[str] = mapped_column(String(16))
    #: Format the content was sniffed as: ``mp4``, ``webm``, ``pdf``, ``docx``, ``pptx``, ``xlsx``, ``png`` ...
    format: Mapped[str] = mapped_column(String(16))
    #: MIME type it is served with.
    mime: Mapped[str] = mapped_column(String(127))
    #: Bytes stored.
    size: Mapped[int] = mapped_column(BigInteger)
    #: SHA-256 of the stored bytes (hex); finds duplicates and verifies copies.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: Pixel size (images and videos).
    width: Mapped[int | None]
    height: Mapped[int | None]
    #: Key of a derived small image: the poster frame of a video, the thumbnail of an image.
    preview_key: Mapped[str | None] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by = relationship("User", lazy="select")


class _Resource(Reviewable):
    """Columns every media resource has: title, profession, optional learning task, file, author."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Title shown in lists; defaults to the file name without extension.
    title: Mapped[str] = mapped_column(String(200))
    #: Plain-text description (what it shows, how to use it in teaching).
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Video(_Resource, db.Model):
    """教学视频: a video file with what PyAV found in it, and a poster frame."""

    __tablename__ = "video"

    #: The profession whose resource package it belongs to.
    profession_id: Mapped[int] = mapped_column(ForeignKey("profession.id"), index=True)
    #: The 学习任务 it serves (a row of one standard version; the profession page follows the task's lineage,
    #: so the link keeps showing after a new version of the standard is approved).
    learning_task_id: Mapped[int | None] = mapped_column(ForeignKey("learning_task.id", ondelete="SET NULL"),
                                                         index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("media_file.id"), unique=True)
    #: Author: edits and submits it for review; may not approve it.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: Seconds.
    duration: Mapped[float]
    width: Mapped[int]
    height: Mapped[int]
    #: Codec name as PyAV reports it (``h264``, ``vp9`` ...).
    codec: Mapped[str] = mapped_column(String(32))
    #: Storage key of the JPEG poster frame.
    poster_key: Mapped[str | None] = mapped_column(String(255))

    file: Mapped[MediaFile] = relationship(lazy="joined", innerjoin=True)
    profession = relationship("Profession", lazy="select")


class Document(_Resource, db.Model):
    """课件/案例: a PDF, PPTX, DOCX or XLSX, always downloaded as an attachment under its original name."""

    __tablename__ = "document"

    profession_id: Mapped[int] = mapped_column(ForeignKey("profession.id"), index=True)
    #: See :attr:`Video.learning_task_id`.
    learning_task_id: Mapped[int | None] = mapped_column(ForeignKey("learning_task.id", ondelete="SET NULL"),
                                                         index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("media_file.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: ``pdf``, ``pptx``, ``docx`` or ``xlsx``.
    format: Mapped[str] = mapped_column(String(8))

    file: Mapped[MediaFile] = relationship(lazy="joined", innerjoin=True)
    profession = relationship("Profession", lazy="select")


class Image(_Resource, db.Model):
    """插图: a picture (re-encoded by the upload service) that workbook pages show with Markdown
    ``![说明](/media/images/<id>/file)``; printed in workbook PDFs once approved."""

    __tablename__ = "media_image"

    profession_id: Mapped[int] = mapped_column(ForeignKey("profession.id"), index=True)
    #: See :attr:`Video.learning_task_id`.
    learning_task_id: Mapped[int | None] = mapped_column(ForeignKey("learning_task.id", ondelete="SET NULL"),
                                                         index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("media_file.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)

    file: Mapped[MediaFile] = relationship(lazy="joined", innerjoin=True)
    profession = relationship("Profession", lazy="select")


from app.media import review as _review  # noqa: E402,F401  (registers the kinds with the review workflow)
from app.media import resources as _resources  # noqa: E402,F401  (profession page providers)
