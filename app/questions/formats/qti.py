"""IMS / 1EdTech QTI (2.x items, 3.0 items and content packages): recognised and refused with a clear message.

QTI is a large family of interaction types; rather than import part of an item silently, files are refused
and the user is told how to export from the source system in a supported format.
"""
from __future__ import annotations

from flask_babel import gettext as _

from app.questions.formats import Format, ParseResult, register

_MARKERS = (b"imsqti", b"assessmentItem", b"qti-assessment-item", b"assessmentTest", b"qti-assessment-test",
            b"questestinterop", b"imsglobal.org/xsd/imscp", b"imsmanifest")


@register
class Qti(Format):
    name = "qti"
    label = "IMS QTI"
    extensions = (".xml", ".zip")

    def sniff(self, filename: str, data: bytes) -> int:
        head = data[:8192]
        if data[:4] == b"PK\x03\x04":
            return 9 if b"imsmanifest.xml" in data[-65536:] or b"imsmanifest.xml" in head else 0
        return 10 if any(m in head for m in _MARKERS) else 0

    def parse(self, data: bytes, filename: str = "") -> ParseResult:
        result = ParseResult(format=self.name)
        result.errors.append({"line": 1, "message": _(
            "暂不支持 IMS QTI 格式（QTI 题目或内容包）。请在原系统中导出为 Moodle XML、GIFT 或 Excel 后再导入。")})
        return result
