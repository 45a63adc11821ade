"""``page``: a text or a link to read; the learner marks it read."""
from __future__ import annotations

from urllib.parse import urlparse

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.courses.activities import register
from app.courses.activities.marks import MarkedKind
from app.errors import ValidationError


@register
class PageKind(MarkedKind):
    name = "page"
    label = _l("阅读材料（文字或链接）")
    self_marking = True

    def done_text(self):
        return _("已阅读")

    def validate(self, *, target_id, rule, body, url):
        if url and urlparse(url).scheme not in ("http", "https"):
            raise ValidationError(_("链接必须以 http:// 或 https:// 开头。"), details={"field": "url"})
        if not (body or "").strip() and not url:
            raise ValidationError(_("阅读材料需要填写正文或链接。"), details={"field": "body"})
        return {}
