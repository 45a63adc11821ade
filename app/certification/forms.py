"""Forms of the certification pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FloatField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ActionForm(FlaskForm):
    """A bare form for POST buttons (CSRF only)."""


class EnrollForm(FlaskForm):
    profession_id = SelectField(_l("任教专业"), coerce=int, validators=[Optional()])


class EnrollTeachersForm(FlaskForm):
    teacher_ids = SelectMultipleField(_l("本校教师"), coerce=int, validators=[DataRequired()])


class PracticalForm(FlaskForm):
    file = FileField(_l("任务设计文件（PDF、Word、PPT）"), validators=[FileRequired()])


class ReviewForm(FlaskForm):
    analysis = FloatField(_l("学习任务分析（0–40）"), validators=[DataRequired(), NumberRange(min=0, max=40)])
    design = FloatField(_l("教学活动策划（0–40）"), validators=[DataRequired(), NumberRange(min=0, max=40)])
    assessment = FloatField(_l("考核评价设计（0–20）"), validators=[DataRequired(), NumberRange(min=0, max=20)])
    comment = TextAreaField(_l("评语"), validators=[Optional(), Length(max=2000)])


class RevokeForm(FlaskForm):
    reason = StringField(_l("撤销原因"), validators=[DataRequired(), Length(max=255)])
