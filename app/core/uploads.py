"""The one upload service every domain uses: size limits by kind, sniffing, re-encoding, storage.

A caller names the kinds it accepts (``image``, ``video``, ``document``); :func:`store_upload` then

1. refuses a request whose declared ``Content-Length`` is over the largest limit *before* the body is read
   (:func:`accept_request` also lifts Flask's per-request cap for kinds such as video that may exceed the
   global ``MAX_CONTENT_LENGTH``),
2. streams the body in chunks into a temporary file, counting bytes and hashing (never the whole file in
   memory),
3. decides the format from the content (magic bytes), never from the name, and requires the name's extension
   to be one the format allows (an ``.exe`` renamed ``.mp4`` is refused),
4. runs the format's checks and processing (images are decoded under a pixel limit, EXIF-rotated,
   converted to sRGB, shrunk and re-encoded from their pixels alone — no comment, EXIF, XMP, ICC or text
   chunk of the uploader's file survives into the stored file or its thumbnail (:func:`save_image`); videos are probed with PyAV and get a poster
   frame; Office files pass the zip-bomb check and must contain their format's main part),
5. stores the result under generated keys. If anything fails, whatever was stored is deleted again: nothing
   is half-stored after a refusal.

Formats are a registry (:func:`fmt`), one entry per format; kinds group formats and carry the size limits.
Limits come from ``UPLOAD_LIMITS`` (bytes per kind) merged over :data:`DEFAULT_LIMITS`.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import struct
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import current_app, request
from flask_babel import gettext as _

from app.core import storage
from app.errors import TooLarge, ValidationError

MiB = 1024 * 1024
#: Bytes accepted per kind unless ``UPLOAD_LIMITS`` says otherwise.
DEFAULT_LIMITS = {"image": 20 * MiB, "video": 2048 * MiB, "document": 100 * MiB}
#: Decoded pixels an image may have (width x height), checked from the header before decoding.
DEFAULT_MAX_PIXELS = 40_000_000
#: Photos larger than this on their longer side are shrunk (a phone's 4000 px photo becomes 2560 px).
DEFAULT_MAX_SIDE = 2560
#: Longer side of thumbnails.
DEFAULT_THUMB_SIDE = 320
CHUNK = 1024 * 1024
#: Bytes of the start of a file given to the sniffers.
HEAD = 64 * 1024


class UploadRefused(ValidationError):
    """The file was refused (its message says why); nothing of it was kept."""


class UploadTooLarge(TooLarge):
    """The file is over its kind's size limit."""


# --------------------------------------------------------------------------------------------------------
# Results


@dataclass
class Derivative:
    """A file made from the upload (thumbnail, poster frame), stored under its own key."""

    key: str
    mime: str
    size: int


@dataclass
class StoredUpload:
    """What :func:`store_upload` kept; the caller saves these fields in its own model.

    ``sha256`` and ``size`` describe the stored bytes (for images, the re-encoded file).
    """

    key: str
    kind: str
    format: str
    mime: str
    size: int
    sha256: str
    #: The uploader's file name, for display and downloads only (never a path).
    original_name: str
    width: int | None = None
    height: int | None = None
    #: Format-specific facts: ``duration`` (seconds), ``codec`` for videos ...
    info: dict = field(default_factory=dict)
    #: ``thumbnail`` for images, ``poster`` for videos.
    derivatives: dict[str, Derivative] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return [self.key] + [d.key for d in self.derivatives.values()]

    def discard(self) -> None:
        """Delete everything stored for this upload (the caller's database work failed)."""
        store = storage.get_storage()
        for key in self.keys:
            store.delete(key)


@dataclass
class Spooled:
    """An upload streamed to a temporary file, with its size and hash."""

    path: str
    size: int
    sha256: str
    head: bytes
    extension: str
    original_name: str


@dataclass
class Processed:
    """What a format's ``process`` step produced: the file to store and any derivatives (as temp paths)."""

    path: str
    mime: str
    extension: str
    width: int | None = None
    height: int | None = None
    info: dict = field(default_factory=dict)
    #: name -> (temp path, mime, extension)
    derivatives: dict[str, tuple[str, str, str]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------------
# Registry of formats


@dataclass
class Format:
    name: str
    kind: str
    mime: str
    extensions: tuple[str, ...]
    #: sniff(head bytes) -> True when the content is this format.
    sniff: Callable[[bytes], bool]
    #: process(spooled, workdir) -> Processed; raises UploadRefused.
    process: Callable[[Spooled, str], Processed]


FORMATS: dict[str, Format] = {}


def fmt(name: str, *, kind: str, mime: str, extensions: Iterable[str], sniff: Callable[[bytes], bool]):
    """Register ``process`` for a format: ``@fmt("png", kind="image", ...)``."""
    def deco(process):
        FORMATS[name] = Format(name, kind, mime, tuple(extensions), sniff, process)
        return process
    return deco


def kinds() -> set[str]:
    return {f.kind for f in FORMATS.values()}


def extensions_for(kinds_: Iterable[str]) -> list[str]:
    """The allow-list of extensions for the given kinds, for ``accept=`` attributes and help texts."""
    wanted = set(kinds_)
    return sorted({"." + ext for f in FORMATS.values() if f.kind in wanted for ext in f.extensions})


# --------------------------------------------------------------------------------------------------------
# Limits and request handling


def limit_for(kind: str) -> int:
    limits = dict(DEFAULT_LIMITS)
    limits.update(current_app.config.get("UPLOAD_LIMITS") or {})
    return int(limits[kind])


def _largest_limit(kinds_: Iterable[str]) -> int:
    return max(limit_for(k) for k in kinds_)


def accept_request(kinds_: Iterable[str], *, total: int | None = None) -> None:
    """Call before touching ``request.files``: refuse an over-long body unread, allow large kinds through.

    The body may be as large as the largest per-file limit of ``kinds_`` (or ``total`` for forms that carry
    several files, such as bulk uploads; it may be a callable). The global ``MAX_CONTENT_LENGTH`` still applies everywhere else.
    """
    cap = (total or _largest_limit(kinds_)) + MiB  # + room for the other form fields
    declared = request.content_length
    if declared is not None and declared > cap:
        raise UploadTooLarge(_("上传的内容过大（上限 %(mb)s MB），未接收。", mb=(cap - MiB) // MiB))
    request.max_content_length = max(cap, current_app.config.get("MAX_CONTENT_LENGTH") or 0)


def upload_endpoint(kinds_: Iterable[str], *, total: int | None = None):
    """Mark a view that receives uploads of ``kinds_``: :func:`install` applies :func:`accept_request` to it
    before any other hook (CSRF included) reads the body, so an oversized body is refused unread and video
    endpoints may go past ``MAX_CONTENT_LENGTH``. Put it right below ``@bp.route``."""
    kinds_ = tuple(kinds_)

    def deco(view):
        view.upload_limits = (kinds_, total)
        return view
    return deco


def _apply_endpoint_limits():
    if request.method != "POST" or request.endpoint is None:
        return None
    limits = getattr(current_app.view_functions.get(request.endpoint), "upload_limits", None)
    if limits is not None:
        total = limits[1]() if callable(limits[1]) else limits[1]
        accept_request(limits[0], total=total)
    return None


def install(blueprint) -> None:
    """Have the app check :func:`upload_endpoint` limits first thing in every request (once per app)."""
    def _register(state):
        hooks = state.app.before_request_funcs.setdefault(None, [])
        if _apply_endpoint_limits not in hooks:
            hooks.insert(0, _apply_endpoint_limits)
    blueprint.record_once(_register)


def display_name(filename: str | None, fallback: str = "file") -> str:
    """A file name fit to show and to send back in ``Content-Disposition``: no folders, no control characters.

    ``../../x`` becomes ``x``; ``作业报告.pdf`` stays as it is.
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".").strip()
    if not name:
        return fallback
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _workdir() -> str:
    root = current_app.config.get("UPLOAD_TMP_DIR") or os.path.join(current_app.instance_path, "tmp")
    os.makedirs(root, exist_ok=True)
    return tempfile.mkdtemp(prefix="upload-", dir=root)


def _spool(stream, original_name: str, limit: int, workdir: str) -> Spooled:
    """Copy ``stream`` to a temp file in chunks, stopping as soon as ``limit`` is passed."""
    path = os.path.join(workdir, "original")
    digest = hashlib.sha256()
    size = 0
    head = b""
    with open(path, "wb") as out:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise UploadTooLarge(_("文件“%(name)s”过大（上限 %(mb)s MB）。", name=original_name, mb=limit // MiB))
            if len(head) < HEAD:
                head += chunk[: HEAD - len(head)]
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise UploadRefused(_("文件“%(name)s”是空的。", name=original_name))
    return Spooled(path, size, digest.hexdigest(), head, _extension(original_name), original_name)


_SCRIPTY = re.compile(rb"<\s*(script|html|body|iframe|svg|object|embed|meta|a\s|img\s|\?xml)", re.I)


def _detect(spooled: Spooled, kinds_: set[str]) -> Format:
    head = spooled.head
    if _looks_like_svg(head):
        raise UploadRefused(_("不接受 SVG 图片（可能包含脚本）。请另存为 PNG 或 JPEG 后上传。"))
    matches = [f for f in FORMATS.values() if f.sniff(head)]
    if not matches:
        raise UploadRefused(_("无法识别文件“%(name)s”的格式，或该格式不被接受。允许的类型：%(exts)s",
                              name=spooled.original_name, exts=" ".join(extensions_for(kinds_))))
    # Zip-based Office formats share a signature; the extension picks which one to check in depth.
    chosen = next((f for f in matches if spooled.extension in f.extensions), None)
    if chosen is None and not spooled.extension and len(matches) == 1:
        # A name without any extension deceives nobody: the content decides, the display name gains it.
        chosen = matches[0]
        spooled.original_name = f"{spooled.original_name}.{chosen.extensions[0]}"
    if chosen is None:
        raise UploadRefused(_("文件“%(name)s”的扩展名与内容不符，已拒绝。", name=spooled.original_name))
    if chosen.kind not in kinds_:
        raise UploadRefused(_("此处不接受该类型的文件。允许的类型：%(exts)s", exts=" ".join(extensions_for(kinds_))))
    return chosen


def _looks_like_svg(head: bytes) -> bool:
    text = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in text


def store_upload(file_storage, kinds_: Iterable[str], *, prefix: str) -> StoredUpload:
    """Check, process and store one uploaded file (a Werkzeug ``FileStorage`` or anything with ``.stream``/
    ``.filename``) accepted as one of ``kinds_``. Raises :class:`UploadRefused` / :class:`UploadTooLarge`
    with a user-facing message; on any failure nothing stays in storage.
    """
    return store_stream(file_storage.stream, file_storage.filename, kinds_, prefix=prefix)


def store_path(path: str, kinds_: Iterable[str], *, prefix: str, filename: str | None = None) -> StoredUpload:
    """Like :func:`store_upload` for a file on disk (CLI imports)."""
    with open(path, "rb") as fh:
        return store_stream(fh, filename or os.path.basename(path), kinds_, prefix=prefix)


def store_stream(stream, filename: str | None, kinds_: Iterable[str], *, prefix: str) -> StoredUpload:
    """The common path of :func:`store_upload` and :func:`store_path`."""
    kinds_ = set(kinds_)
    unknown = kinds_ - kinds()
    if unknown:
        raise ValueError(f"unknown upload kinds: {sorted(unknown)}")
    name = display_name(filename)
    workdir = _workdir()
    stored: list[str] = []
    store = storage.get_storage()
    try:
        spooled = _spool(stream, name, _largest_limit(kinds_), workdir)
        format_ = _detect(spooled, kinds_)
        limit = limit_for(format_.kind)
        if spooled.size > limit:
            raise UploadTooLarge(_("文件“%(name)s”过大（上限 %(mb)s MB）。", name=name, mb=limit // MiB))
        result = format_.process(spooled, workdir)
        key = storage.new_key(f"{prefix}/{format_.kind}", result.extension)
        size, digest = _file_facts(result.path, spooled if result.path == spooled.path else None)
        store.put_file(key, result.path)
        stored.append(key)
        out = StoredUpload(key=key, kind=format_.kind, format=format_.name, mime=result.mime, size=size,
                           sha256=digest, original_name=spooled.original_name, width=result.width, height=result.height,
                           info=dict(result.info))
        for label, (path, mime, ext) in result.derivatives.items():
            dkey = storage.new_key(f"{prefix}/{label}", ext)
            store.put_file(dkey, path)
            stored.append(dkey)
            out.derivatives[label] = Derivative(dkey, mime, os.path.getsize(path))
        return out
    except BaseException:
        for key in stored:
            store.delete(key)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _file_facts(path: str, spooled: Spooled | None) -> tuple[int, str]:
    if spooled is not None:
        return spooled.size, spooled.sha256
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


# --------------------------------------------------------------------------------------------------------
# Images: decoded under a pixel limit, EXIF orientation applied, metadata dropped, shrunk, re-encoded.


def _process_image(spooled: Spooled, workdir: str, *, save_as: str, mime: str, ext: str) -> Processed:
    from PIL import Image, ImageOps, UnidentifiedImageError

    if _carries_markup(spooled.path):
        # A file that is both an image and an HTML page (polyglot) is refused outright, even though
        # re-encoding would drop the markup: the upload was crafted.
        raise UploadRefused(_("图片“%(name)s”中夹带了网页代码，已拒绝。", name=spooled.original_name))
    max_pixels = int(current_app.config.get("UPLOAD_MAX_IMAGE_PIXELS") or DEFAULT_MAX_PIXELS)
    max_side = int(current_app.config.get("UPLOAD_IMAGE_MAX_SIDE") or DEFAULT_MAX_SIDE)
    thumb_side = int(current_app.config.get("UPLOAD_THUMB_SIDE") or DEFAULT_THUMB_SIDE)
    try:
        with Image.open(spooled.path) as image:
            # Image.open reads only the header: refuse pixel bombs before any decoding happens.
            width, height = image.size
            if width * height > max_pixels:
                raise UploadRefused(_("图片“%(name)s”尺寸过大（%(w)s×%(h)s 像素，上限 %(mp)s 百万像素）。",
                                      name=spooled.original_name, w=width, h=height, mp=max_pixels // 1_000_000))
            image.seek(0)  # animated GIF/WebP: the first frame is kept
            image.load()
            picture = ImageOps.exif_transpose(image)
    except UploadRefused:
        raise
    except Image.DecompressionBombError:
        raise UploadRefused(_("图片“%(name)s”尺寸过大（上限 %(mp)s 百万像素）。",
                              name=spooled.original_name, mp=max_pixels // 1_000_000)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise UploadRefused(_("图片“%(name)s”已损坏或无法读取。", name=spooled.original_name)) from None
    picture = _normalise_mode(_to_srgb(picture), save_as)
    if max(picture.size) > max_side:
        picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    path = os.path.join(workdir, "image." + ext)
    save_image(picture, path, save_as)
    thumb = picture.copy()
    thumb.thumbnail((thumb_side, thumb_side), Image.Resampling.LANCZOS)
    thumb_path = os.path.join(workdir, "thumb.jpg")
    save_image(thumb.convert("RGB"), thumb_path, "JPEG", quality=82)
    return Processed(path, mime, ext, width=picture.size[0], height=picture.size[1],
                     derivatives={"thumbnail": (thumb_path, "image/jpeg", "jpg")})


def _carries_markup(path: str) -> bool:
    """Scan the whole file in chunks (overlapping, so a tag split across two chunks is still found)."""
    tail = b""
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            if _SCRIPTY.search(tail + chunk):
                return True
            tail = chunk[-32:]
    return False


_SAVE_OPTIONS = {"JPEG": {"quality": 85, "optimize": True}, "PNG": {"optimize": True},
                 "WEBP": {"quality": 85}}


def _pixels_only(picture):
    """A new image with the same pixels and nothing else: no comment, EXIF, XMP, ICC profile, PNG text chunks,
    DPI or anything else the uploader's file carried (Pillow writes some of ``info`` back when saving: a GIF's
    15 MB comment made the JPEG thumbnail fail with "Comment is too long", smaller ones leaked into it)."""
    from PIL import Image

    clean = Image.frombytes(picture.mode, picture.size, picture.tobytes())
    if picture.mode == "P":
        clean.putpalette(picture.getpalette())
    return clean


def _to_srgb(picture):
    """Pixels in a colour profile other than sRGB are converted to sRGB, so that dropping the profile (with
    the other metadata) does not change how the picture looks. Anything unusable is left as it is."""
    icc = picture.info.get("icc_profile")
    if not icc or picture.mode not in ("RGB", "RGBA", "CMYK"):
        return picture
    from PIL import ImageCms

    try:
        return ImageCms.profileToProfile(picture, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                         ImageCms.createProfile("sRGB"),
                                         outputMode="RGBA" if picture.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return picture


def save_image(picture, path: str, save_as: str, **options) -> None:
    """The one way uploads write a picture (stored images, thumbnails, video posters): the pixels only, no
    metadata of any kind, with the format's usual encoder settings."""
    _pixels_only(picture).save(path, save_as, **{**_SAVE_OPTIONS.get(save_as, {}), **options})


def _normalise_mode(picture, save_as: str):
    if save_as == "JPEG" and picture.mode not in ("RGB", "L"):
        return picture.convert("RGB")
    if save_as in ("PNG", "WEBP") and picture.mode not in ("RGB", "RGBA", "L", "LA"):
        return picture.convert("RGBA")
    return picture


@fmt("png", kind="image", mime="image/png", extensions=("png",),
     sniff=lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"))
def _png(spooled, workdir):
    return _process_image(spooled, workdir, save_as="PNG", mime="image/png", ext="png")


@fmt("jpeg", kind="image", mime="image/jpeg", extensions=("jpg", "jpeg", "jpe"),
     sniff=lambda h: h.startswith(b"\xff\xd8\xff"))
def _jpeg(spooled, workdir):
    return _process_image(spooled, workdir, save_as="JPEG", mime="image/jpeg", ext="jpg")


@fmt("gif", kind="image", mime="image/png", extensions=("gif",),
     sniff=lambda h: h.startswith((b"GIF87a", b"GIF89a")))
def _gif(spooled, workdir):
    # Stored as a still PNG: re-encoding removes whatever a crafted GIF carried.
    return _process_image(spooled, workdir, save_as="PNG", mime="image/png", ext="png")


@fmt("webp", kind="image", mime="image/webp", extensions=("webp",),
     sniff=lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP")
def _webp(spooled, workdir):
    return _process_image(spooled, workdir, save_as="WEBP", mime="image/webp", ext="webp")


# --------------------------------------------------------------------------------------------------------
# Videos: the container is checked to be complete, then probed with PyAV; a poster frame is saved as JPEG.

#: Video codecs accepted (PyAV codec names).
VIDEO_CODECS = {"h264", "hevc", "av1", "vp8", "vp9", "mpeg4"}


def _mp4_complete(path: str, size: int) -> bool:
    """Walk the top-level MP4 boxes: a truncated file has a last box that reaches past the end."""
    offset = 0
    with open(path, "rb") as fh:
        while offset < size:
            fh.seek(offset)
            header = fh.read(16)
            if len(header) < 8:
                return False
            box_size, = struct.unpack(">I", header[:4])
            if box_size == 1:
                if len(header) < 16:
                    return False
                box_size, = struct.unpack(">Q", header[8:16])
            elif box_size == 0:  # "extends to the end of the file"
                return True
            if box_size < 8:
                return False
            offset += box_size
    return offset == size


def _ebml_vint(data: bytes, pos: int, *, keep_marker: bool = False) -> tuple[int | None, int]:
    """An EBML variable-length integer at ``pos``: (value, next position); value None means "unknown size"."""
    if pos >= len(data) or data[pos] == 0:
        return None, len(data) + 1
    first = data[pos]
    length = 8 - first.bit_length() + 1
    raw = data[pos:pos + length]
    if len(raw) < length:
        return None, len(data) + 1
    value = int.from_bytes(raw, "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
        if value == (1 << (7 * length)) - 1:
            return None, pos + length  # all ones: size unknown (live streams)
    return value, pos + length


def _webm_complete(path: str, size: int) -> bool:
    """The Segment element's declared size must end exactly at the end of the file (when it is declared)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    _id, pos = _ebml_vint(head, 0, keep_marker=True)
    header_size, pos = _ebml_vint(head, pos)
    if header_size is None:
        return False
    pos += header_size
    segment_id, pos = _ebml_vint(head, pos, keep_marker=True)
    if segment_id != 0x18538067:
        return False
    segment_size, pos = _ebml_vint(head, pos)
    if pos > len(head):
        return False
    return segment_size is None or pos + segment_size == size


#: Container completeness checks by extension (a truncated upload must not pass as a short video).
_COMPLETE = {"mp4": _mp4_complete, "webm": _webm_complete}


def _probe_video(spooled: Spooled, workdir: str, *, mime: str, ext: str) -> Processed:
    import av

    truncated = _("视频“%(name)s”不完整（文件可能被截断或上传中断），请重新导出后上传。", name=spooled.original_name)
    if not _COMPLETE[ext](spooled.path, spooled.size):
        raise UploadRefused(truncated)
    poster_path = os.path.join(workdir, "poster.jpg")
    try:
        with av.open(spooled.path, metadata_errors="ignore") as container:
            if not container.streams.video:
                raise UploadRefused(_("文件“%(name)s”中没有视频画面。", name=spooled.original_name))
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            if codec not in VIDEO_CODECS:
                raise UploadRefused(_("不支持的视频编码 %(codec)s，请转为 H.264（MP4）或 VP9（WebM）。", codec=codec))
            duration = _duration(container, stream)
            width, height = stream.codec_context.width, stream.codec_context.height
            frame = _poster_frame(container, stream, duration)
            if frame is None:
                raise UploadRefused(truncated)
            image = frame.to_image()
            image.thumbnail((1280, 1280))
            save_image(image.convert("RGB"), poster_path, "JPEG", quality=80)
    except UploadRefused:
        raise
    except (av.error.FFmpegError, ValueError, OSError, EOFError):
        raise UploadRefused(truncated) from None
    if not duration or not width or not height:
        raise UploadRefused(truncated)
    return Processed(spooled.path, mime, ext, width=width, height=height,
                     info={"duration": round(duration, 3), "codec": codec},
                     derivatives={"poster": (poster_path, "image/jpeg", "jpg")})


def _duration(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        import av

        return container.duration / av.time_base
    return 0.0


def _poster_frame(container, stream, duration: float):
    """A frame about a tenth into the video (the first frames are often black), else the first one."""
    target = min(duration / 10, 5.0)
    if target > 0.5 and stream.time_base:
        try:
            container.seek(int(target / stream.time_base), stream=stream)
        except Exception:  # noqa: BLE001 - an unseekable file still has a first frame
            container.seek(0)
    for frame in container.decode(stream):
        return frame
    return None


@fmt("mp4", kind="video", mime="video/mp4", extensions=("mp4", "m4v"),
     sniff=lambda h: h[4:8] == b"ftyp")
def _mp4(spooled, workdir):
    return _probe_video(spooled, workdir, mime="video/mp4", ext="mp4")


@fmt("webm", kind="video", mime="video/webm", extensions=("webm",),
     sniff=lambda h: h.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in h[:64])
def _webm(spooled, workdir):
    return _probe_video(spooled, workdir, mime="video/webm", ext="webm")


# --------------------------------------------------------------------------------------------------------
# Documents: PDF, and Office Open XML (zip) whose main part matches the extension.


@fmt("pdf", kind="document", mime="application/pdf", extensions=("pdf",),
     sniff=lambda h: h.lstrip()[:5] == b"%PDF-")
def _pdf(spooled, workdir):
    with open(spooled.path, "rb") as fh:
        fh.seek(max(0, spooled.size - 2048))
        tail = fh.read()
    if b"%%EOF" not in tail:
        raise UploadRefused(_("PDF 文件“%(name)s”不完整或已损坏。", name=spooled.original_name))
    return Processed(spooled.path, "application/pdf", "pdf")


def _ooxml(main_part: str, content_type: str, mime: str, ext: str):
    def process(spooled: Spooled, workdir: str) -> Processed:
        from app.core.tabular import TableError, check_zip
        import defusedxml.ElementTree as ET

        broken = _("文件“%(name)s”已损坏或不是有效的 .%(ext)s 文件。", name=spooled.original_name, ext=ext)
        with open(spooled.path, "rb") as fh:
            data = fh.read()
        try:
            archive = check_zip(data, what="." + ext)
        except TableError as exc:
            raise UploadRefused(exc.message) from None
        names = set(archive.namelist())
        if "[Content_Types].xml" not in names or main_part not in names:
            raise UploadRefused(broken)
        try:
            types = ET.fromstring(archive.read("[Content_Types].xml"))
        except Exception:  # noqa: BLE001 - malformed XML, DTD/entity tricks (defusedxml), broken zip members
            raise UploadRefused(broken) from None
        declared = {el.get("PartName", "").lstrip("/"): el.get("ContentType", "") for el in types
                    if el.tag.endswith("Override")}
        if declared.get(main_part) != content_type:
            # Also catches macro-enabled files (.docm/.pptm/.xlsm renamed), whose main part type differs.
            raise UploadRefused(broken)
        return Processed(spooled.path, mime, ext)
    return process


_ZIP = lambda h: h.startswith(b"PK\x03\x04")  # noqa: E731

fmt("docx", kind="document", extensions=("docx",), sniff=_ZIP,
    mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")(
    _ooxml("word/document.xml",
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"))
fmt("pptx", kind="document", extensions=("pptx",), sniff=_ZIP,
    mime="application/vnd.openxmlformats-officedocument.presentationml.presentation")(
    _ooxml("ppt/presentation.xml",
           "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
           "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"))
fmt("xlsx", kind="document", extensions=("xlsx",), sniff=_ZIP,
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")(
    _ooxml("xl/workbook.xml",
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"))


def read_bytes(data: bytes, filename: str, kinds_: Iterable[str], *, prefix: str) -> StoredUpload:
    """Store an in-memory file (small uploads built by code, tests)."""
    return store_stream(io.BytesIO(data), filename, kinds_, prefix=prefix)
