"""Small media files made on the fly (PyAV, Pillow, zipfile), so no binary fixtures are committed."""
from __future__ import annotations

import functools
import io
import zipfile

import av
from PIL import Image


def video(container: str = "mp4", *, seconds: float = 1.0, size=(64, 48), rate: int = 10, shade: int = 80) -> bytes:
    """An encoded video: H.264 in MP4 or VP8 in WebM, ``seconds`` long, a moving gradient (``shade`` makes
    different files)."""
    codec = {"mp4": "libx264", "webm": "libvpx"}[container]
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as box:
        stream = box.add_stream(codec, rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(int(seconds * rate)):
            image = Image.new("RGB", size, (i * 20 % 255, shade % 255, 160))
            frame = av.VideoFrame.from_image(image)
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    return out.getvalue()


def png(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_rotated(size=(60, 20)) -> bytes:
    """A 'phone photo': stored landscape, EXIF says rotate 90° (orientation 6), with a GPS-like tag."""
    image = Image.new("RGB", size, (10, 200, 10))
    # Mark the top-left corner so the rotation is observable.
    for x in range(10):
        for y in range(10):
            image.putpixel((x, y), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims huge dimensions (a pixel bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")


def gif_html_polyglot() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF", comment=b"<html><script>alert(1)</script></html>")
    data = out.getvalue()
    assert b"<script>" in data
    return data


def pdf(tag: int = 0) -> bytes:
    return (b"%PDF-1.4\n%" + str(tag).encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


_OOXML = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "pptx": ("ppt/presentation.xml",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}


def office(kind: str = "docx", *, main_type: str | None = None, extra_entries: int = 0) -> bytes:
    part, content_type = _OOXML[kind]
    types = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             f'<Override PartName="/{part}" ContentType="{main_type or content_type}"/></Types>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr(part, "<doc>工学一体化</doc>")
        for n in range(extra_entries):
            archive.writestr(f"word/media/image{n}.txt", "x")
    return out.getvalue()


@functools.lru_cache(maxsize=2)
def many_entries(count: int) -> bytes:
    """A zip with ``count`` tiny stored entries (a few MB for 100,000): cheap to send, slow to list."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for n in range(count):
            archive.writestr(zipfile.ZipInfo(f"{n}"), b"")
    return out.getvalue()


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (4 * 1024 * 1024))  # ratio ~1000:1
    return out.getvalue()


#: A string the uploader's metadata carries: no stored file may contain it.
MARKER = "UPLOADER-SECRET-4711"
_XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="{MARKER}"/>'
        '</rdf:RDF></x:xmpmeta>')


def _exif():
    exif = Image.Exif()
    exif[0x010F] = MARKER  # Make
    exif[0x0131] = MARKER  # Software
    return exif


def _icc() -> bytes:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes()


def image_with_metadata(fmt: str, size=(48, 32)) -> bytes:
    """A picture whose file carries everything an uploader's file may: comment, EXIF, XMP, ICC profile, and
    for PNG text chunks (tEXt, zTXt, iTXt), all holding :data:`MARKER`."""
    from PIL import PngImagePlugin

    image = Image.new("RGB", size, (30, 120, 200))
    out = io.BytesIO()
    if fmt == "jpeg":
        image.save(out, "JPEG", exif=_exif(), comment=MARKER.encode(), xmp=_XMP.encode(), icc_profile=_icc())
    elif fmt == "png":
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", MARKER)
        info.add_text("Comment", MARKER, zip=True)
        info.add_itxt("XML:com.adobe.xmp", _XMP)
        info.add_itxt("Description", MARKER, lang="zh", tkey="说明")
        image.save(out, "PNG", pnginfo=info, exif=_exif(), icc_profile=_icc())
    elif fmt == "gif":
        image.convert("P").save(out, "GIF", comment=MARKER.encode())
    elif fmt == "webp":
        image.save(out, "WEBP", exif=_exif(), xmp=_XMP.encode(), icc_profile=_icc())
    else:
        raise ValueError(fmt)
    data = out.getvalue()
    assert MARKER.encode() in data or fmt == "png" and b"zTXt" in data
    return data


def gif_with_huge_comment(megabytes: int = 15) -> bytes:
    """A 1x1 GIF with a comment block of ``megabytes`` MB (Pillow failed writing it into the thumbnail)."""
    out = io.BytesIO()
    Image.new("P", (1, 1)).save(out, "GIF", comment=b"x" * (megabytes * 1024 * 1024))
    return out.getvalue()
