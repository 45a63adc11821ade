"""Workbook and page forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.workbooks.fields import FIELD_TYPES  # noqa: F401  (keeps the registry loaded for the editor help)


class WorkbookForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=5000)])


class PageForm(FlaskForm):
    title = StringField(_l("页面标题"), validators=[DataRequired(), Length(max=200)])
    stage = SelectField(_l("工作环节"), choices=[], default="")
    source = TextAreaField(_l("内容（Markdown）"), validators=[Length(max=200_000)],
                           description=_l("支持 Markdown、表格和图片；填写项写在 ```worksheet 代码块中，格式见说明。"))
    change_note = StringField(_l("修订说明"), validators=[Optional(), Length(max=500)])
    effective_date = DateField(_l("生效日期"), validators=[DataRequired()])


class DiffForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing
