"""``manual``: offline work (实操, 现场考核); the teacher ticks who completed it."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.courses.activities import register
from app.courses.activities.marks import MarkedKind


@register
class ManualKind(MarkedKind):
    name = "manual"
    label = _l("线下活动（教师确认）")
    manual_marking = True

    def done_text(self):
        return _("教师已确认")
