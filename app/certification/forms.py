"""Forms of the certification pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, FieldList, FloatField, Form, FormField, IntegerField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.auth.forms import MultiCheckboxField


class ActionForm(FlaskForm):
    """A bare form for POST buttons (CSRF only)."""


class EnrollForm(FlaskForm):
    profession_id = SelectField(_l("任教专业"), coerce=int, validators=[Optional()])


class EnrollTeachersForm(FlaskForm):
    teacher_ids = SelectMultipleField(_l("本校教师"), coerce=int, validators=[DataRequired()])


class PracticalForm(FlaskForm):
    file = FileField(_l("任务设计文件（PDF、Word、PPT）"), validators=[FileRequired()])


class ReviewForm(FlaskForm):
    # InputRequired, not DataRequired: 0 is a score a reviewer may give (DataRequired refuses every falsy value).
    analysis = FloatField(_l("学习任务分析（0–40）"), validators=[InputRequired(), NumberRange(min=0, max=40)])
    design = FloatField(_l("教学活动策划（0–40）"), validators=[InputRequired(), NumberRange(min=0, max=40)])
    assessment = FloatField(_l("考核评价设计（0–20）"), validators=[InputRequired(), NumberRange(min=0, max=20)])
    comment = TextAreaField(_l("评语"), validators=[Optional(), Length(max=2000)])


class RevokeForm(FlaskForm):
    reason = StringField(_l("撤销原因"), validators=[DataRequired(), Length(max=255)])


class ProgramCourseRow(Form):
    """One required training course of a program (a sub-form: the program form carries the CSRF token)."""

    course_id = SelectField(_l("培训课程"), coerce=int, validators=[Optional()])
    min_hours = FloatField(_l("最低学时"), validators=[Optional(), NumberRange(min=0, max=500)])
    credit_hours = FloatField(_l("完成课程得学时"), validators=[Optional(), NumberRange(min=0, max=24)])


#: Empty course rows offered under the program's current courses (the form works without JavaScript).
SPARE_COURSE_ROWS = 3


class ProgramForm(FlaskForm):
    key = StringField(_l("项目代码"), validators=[Optional(), Length(max=64)],
                      description=_l("小写字母、数字和连字符，创建后不可修改，例如 junior-2026"))
    title = StringField(_l("项目名称"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("项目说明"), validators=[Optional(), Length(max=5000)])
    level_id = SelectField(_l("层级"), coerce=int, validators=[DataRequired()])
    prerequisite_level_id = SelectField(_l("先修层级"), coerce=int, validators=[Optional()])
    min_total_hours = FloatField(_l("总学时不少于"), default=0, validators=[InputRequired(), NumberRange(min=0, max=2000)])
    courses = FieldList(FormField(ProgramCourseRow), min_entries=SPARE_COURSE_ROWS)
    exam_id = SelectField(_l("结业考试"), coerce=int, validators=[Optional()])
    exam_pass_percent = FloatField(_l("考试及格线（%）"), default=60, validators=[InputRequired(), NumberRange(min=0, max=100)])
    practical_title = StringField(_l("实践任务"), validators=[Optional(), Length(max=200)],
                                  description=_l("例如：学习任务分析与策划；留空表示不要求"))
    practical_pass_score = FloatField(_l("实践任务及格分"), default=60, validators=[InputRequired(), NumberRange(min=0, max=100)])
    validity_years = IntegerField(_l("证书有效期（年）"), validators=[Optional(), NumberRange(min=1, max=50)],
                                  description=_l("留空表示长期有效"))
    is_open = BooleanField(_l("发布（教师可见并可报名）"), default=True)


class OfflineSessionForm(FlaskForm):
    title = StringField(_l("培训名称"), validators=[DataRequired(), Length(max=200)])
    held_on = DateField(_l("培训日期"), validators=[DataRequired()])
    hours = FloatField(_l("学时"), validators=[DataRequired(), NumberRange(min=0.5, max=24)])
    course_id = SelectField(_l("计入培训课程"), coerce=int, validators=[DataRequired()])
    program_id = SelectField(_l("培训项目"), coerce=int, validators=[Optional()])
    attendance = FileField(_l("签到表（PDF、Word、Excel 或照片）"), validators=[FileRequired()])


class AttendeeImportForm(FlaskForm):
    file = FileField(_l("参训教师名单（CSV 或 XLSX，列：用户名、备注）"), validators=[FileRequired()],
                     render_kw={"accept": ".csv,.xlsx"})


class AttendeePickForm(FlaskForm):
    teacher_ids = MultiCheckboxField(_l("本校教师"), coerce=int, validators=[DataRequired()])
