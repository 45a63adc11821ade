"""Workbook and page forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.workbooks.fields import FIELD_TYPES  # noqa: F401  (keeps the registry loaded for the editor help)


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class WorkbookForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=200)])
    integrated_course_id = SelectField(_l("一体化课程"), coerce=_optional_int, choices=[], default=None)
    learning_task_id = SelectField(_l("学习任务"), coerce=_optional_int, choices=[], default=None,
                                   description=_l("选项来自本专业已发布的课程标准。"))
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=5000)])

    def set_choices(self, choices) -> None:
        none = [("", str(_l("（不指定）")))]
        self.integrated_course_id.choices = none + [(c.course.id, f"{c.course.code} {c.course.name}")
                                                    for c in choices]
        self.learning_task_id.choices = task_choices(choices)


def task_choices(choices) -> dict:
    """Tasks grouped by course (``<optgroup>``), with a first "none" entry."""
    out = {"": [("", str(_l("（不指定）")))]}
    for c in choices:
        out[f"{c.course.code} {c.course.name}"] = [(t.id, f"{t.code} {t.name}") for t in c.tasks]
    return out


class PageForm(FlaskForm):
    title = StringField(_l("页面标题"), validators=[DataRequired(), Length(max=200)])
    learning_task_id = SelectField(_l("学习任务"), coerce=_optional_int, choices=[], default=None,
                                   description=_l("不指定时沿用活页教材的学习任务。"))
    stage = SelectField(_l("工作环节"), choices=[], default="")
    source = TextAreaField(_l("内容（Markdown）"), validators=[Length(max=200_000)],
                           description=_l("支持 Markdown、表格和图片；填写项写在 ```worksheet 代码块中，格式见说明。"))
    change_note = StringField(_l("修订说明"), validators=[Optional(), Length(max=500)])
    effective_date = DateField(_l("生效日期"), validators=[DataRequired()])
    #: Only on new pages: insert before this page number (empty: append).
    position = IntegerField(_l("插入为第几页"), validators=[Optional(), NumberRange(min=1, max=999)],
                            description=_l("留空则添加到最后；填写页码则插入该页之前，后面的页码顺延。"))


class DiffForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing
