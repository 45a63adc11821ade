"""``photo``: photos taken at the workbench (camera on a phone), stored through the media upload service."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.workbooks.fields import FieldError, FieldType, integer, register


class UploadField(FieldType):
    """Shared by ``photo`` and ``file``: an answer is a list of stored media file ids."""

    options = frozenset({"max_files"})
    template = "workbooks/fields/upload.html"
    pdf_template = "workbooks/fields/pdf_upload.html"

    def _validate_options(self, raw: dict) -> dict:
        return {"max_files": integer(raw, "max_files", 1, 1, 10)}

    def validate_response(self, definition: dict, value) -> list[int]:
        # The upload service checks type and size when the file arrives; here only the references are checked.
        if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
            raise FieldError(_("答案必须是已上传文件的编号列表"))
        files = list(dict.fromkeys(value))
        if len(files) > definition["max_files"]:
            raise FieldError(_("最多上传 %(n)s 个文件", n=definition["max_files"]))
        return files


@register
class PhotoField(UploadField):
    name = "photo"
    label = _l("拍照上传")
    #: The media upload kind answers are checked against.
    accept = "image"
