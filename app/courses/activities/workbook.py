"""``workbook``: read a loose-leaf workbook of the course's profession; the learner marks it read.

Imported only when the workbooks domain is installed (see ADAPTERS). Completion is the learner's own mark
(one query for all learners, shared with the page kind); only workbooks with approved pages can be chosen.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.courses.activities import register
from app.courses.activities.marks import MarkedKind
from app.errors import ValidationError


@register
class WorkbookKind(MarkedKind):
    name = "workbook"
    label = _l("活页教材")
    needs_target = True
    self_marking = True

    def done_text(self):
        return _("已阅读")

    def targets(self, course):
        from app.workbooks.services import workbooks_of_profession

        if not course.profession_id:
            return []
        return [(row.workbook.id, row.workbook.title)
                for row in workbooks_of_profession(course.profession_id, include_unpublished=False)]

    def target_url(self, activity):
        from flask import url_for

        return url_for("workbooks.workbook", workbook_id=activity.target_id) if activity.target_id else None

    def validate(self, *, target_id, rule, body, url):
        if not target_id:
            raise ValidationError(_("请选择活页教材。"))
        return {}
