"""``file``: a document to hand in (a plan as PDF/DOCX, a measurement sheet as XLSX)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.workbooks.fields import register
from app.workbooks.fields.photo import UploadField


@register
class FileField(UploadField):
    name = "file"
    label = _l("文件上传")
    #: The media upload kind answers are checked against.
    accept = "document"
