"""``manual``: points a teacher enters, e.g. 实操考核 held offline."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.grading.sources import GradeSource, register


@register
class ManualSource(GradeSource):
    name = "manual"
    label = _l("手工录入（如线下实操考核）")
    entered_by_hand = True
