"""Import/export formats: a registry, one module per format (gift, aiken, moodlexml, xlsx, json, qti, docx).

Every format parses bytes into *interchange questions* — plain dicts in the shape of the ``--json`` output
(documented in docs/question-import.md) — plus a list of errors with their line or row. Formats never touch
the database; :mod:`app.questions.importing` validates and writes.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import importlib
import re
from dataclasses import dataclass, field

from app.questions.types.base import fail

#: format name -> Format instance.
FORMATS: dict[str, "Format"] = {}

_MODULES = ("json_format", "moodlexml", "qti", "xlsx", "docx", "gift", "aiken")


@dataclass
class ParseResult:
    format: str
    questions: list[dict] = field(default_factory=list)
    #: ``{"line": n, "message": ...}`` or ``{"row": n, "message": ...}``.
    errors: list[dict] = field(default_factory=list)
    #: Embedded files by the name questions refer to (``@@PLUGINFILE@@/name``): name -> bytes.
    files: dict[str, bytes] = field(default_factory=dict)
    #: Non-blocking remarks (an unsupported embedded file that was dropped ...).
    warnings: list[str] = field(default_factory=list)
    #: The text encoding a text file was read with (``gb18030`` for GBK files).
    encoding: str | None = None


class Format:
    """One file format. ``sniff`` scores how sure it is that the bytes are in this format (0: not at all)."""

    name = ""
    label = ""
    extensions: tuple[str, ...] = ()
    can_import = True
    can_export = False
    #: MIME type of exports.
    mimetype = "application/octet-stream"

    def sniff(self, filename: str, data: bytes) -> int:
        return 0

    def parse(self, data: bytes, filename: str = "") -> ParseResult:
        raise NotImplementedError

    def export(self, questions: list[dict], *, bank_name: str = "") -> bytes:
        raise NotImplementedError


def register(cls):
    """Class decorator: add a format to the registry."""
    FORMATS[cls.name] = cls()
    return cls


def format_label(name: str) -> str:
    """The format's name as people know it (``GIFT 格式``, ``Moodle XML``, ``Excel``), for previews and reports."""
    found = FORMATS.get(name)
    return str(found.label) if found is not None and found.label else name


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        fail(_l("不支持的格式：%(name)s"), name=name)


def detect(filename: str, data: bytes) -> Format:
    """The format that recognises the content best (the file name's extension only breaks ties)."""
    best, score = None, 0
    for fmt in FORMATS.values():
        s = fmt.sniff(filename, data)
        if s > score:
            best, score = fmt, s
    if best is None:
        fail(_l("无法识别文件格式。支持：Excel（.xlsx）、Word（.docx）、GIFT、Aiken、Moodle XML、QTI、JSON。"))
    return best


def looks_binary(data: bytes) -> bool:
    """Pictures, archives and other binary files are never GIFT or Aiken text."""
    head = data[:4096]
    return b"\x00" in head or data[:4] in (b"PK\x03\x04", b"\x89PNG", b"%PDF") or data[:3] == b"\xff\xd8\xff"


def new_question(type_name: str, text: str, **fields) -> dict:
    """An interchange question with every documented key present."""
    question = {"type": type_name, "name": "", "text": text, "category": "", "id_number": None, "tags": [],
                "points": None, "general_feedback": "", "answers": [], "pairs": [], "difficulty": None,
                "explanation": ""}
    question.update(fields)
    return question


def number_text(value: float) -> str:
    """A number as people write it: 3.14 (not 3.1399999999999997), 5 (not 5.0)."""
    return f"{value:.15g}"


def answer(text: str, fraction: float, feedback: str = "", tolerance=None, **extra) -> dict:
    return {"text": text, "fraction": fraction, "feedback": feedback, "tolerance": tolerance, **extra}



_PATH_SPLIT = re.compile(r"(?<!/)/(?!/)")


def category_path(raw: str) -> str:
    """A Moodle category (``$course$/top/Default for X/Sub``) as our path ``Default for X/Sub``.

    The context prefix (``$course$``, ``$system$``, ``$module$``, ``$cat1$`` ...) and the ``top`` level Moodle
    adds are dropped; ``//`` (Moodle's escaped ``/`` inside a name) is kept.
    """
    parts = [p.strip() for p in _PATH_SPLIT.split((raw or "").strip())]
    if parts and parts[0].startswith("$") and parts[0].endswith("$"):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(p for p in parts if p)


def split_path(path: str) -> list[str]:
    return [p for p in _PATH_SPLIT.split(path or "") if p.strip()]


for _name in _MODULES:
    importlib.import_module(f"{__name__}.{_name}")
