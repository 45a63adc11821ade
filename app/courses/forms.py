"""Course, cohort, enrollment, pairing and activity forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, FloatField, HiddenField, IntegerField, SelectField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import KindTargetField

ROLE_CHOICES = [("learner", _l("学员")), ("instructor", _l("授课教师")), ("mentor", _l("企业导师"))]


class CourseForm(FlaskForm):
    title = StringField(_l("课程名称"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("课程类型"), choices=[("class_course", _l("班级课程（一体化课程）")),
                                               ("training_course", _l("师资培训课程"))])
    term = StringField(_l("学期"), validators=[Optional(), Length(max=32)], description=_l("例如 2026-2027-1"))
    profession_id = SelectField(_l("专业"), coerce=int, validators=[Optional()])
    training_level_id = SelectField(_l("培养层级"), coerce=int, validators=[Optional()])
    integrated_course_id = SelectField(_l("一体化课程"), coerce=int, validators=[Optional()],
                                       description=_l("课程标准中的一体化课程（可稍后填写）"))
    pass_mark = FloatField(_l("及格线"), default=60, validators=[DataRequired(), NumberRange(min=0, max=100)])
    enrol_key = StringField(_l("选课密码"), validators=[Optional(), Length(max=64)],
                            description=_l("留空则不开放自助选课"))
    is_shared = BooleanField(_l("共享课程（允许其他学校的人员选课）"))
    description = TextAreaField(_l("课程简介"), validators=[Optional(), Length(max=5000)])
    version = HiddenField()


class CohortForm(FlaskForm):
    name = StringField(_l("班级名称"), validators=[DataRequired(), Length(max=100)],
                       description=_l("例如 2025级汽车维修1班"))
    entry_year = IntegerField(_l("入学年份"), validators=[DataRequired(), NumberRange(min=1990, max=2100)])
    profession_id = SelectField(_l("专业"), coerce=int, validators=[Optional()])
    training_level_id = SelectField(_l("培养层级"), coerce=int, validators=[Optional()])


class UsernamesForm(FlaskForm):
    usernames = TextAreaField(_l("用户名"), validators=[DataRequired(), Length(max=20000)],
                              description=_l("每行一个，或用逗号、空格分隔"))
    role = SelectField(_l("课程角色"), choices=ROLE_CHOICES, default="learner")


class UploadForm(FlaskForm):
    file = FileField(_l("名单文件（.xlsx 或 .csv）"), validators=[FileRequired()],
                     description=_l("第一行为表头：用户名（必填）、角色（可选：学员 / 授课教师 / 企业导师）"))


class CohortEnrolForm(FlaskForm):
    cohort_id = SelectField(_l("班级"), coerce=int)


class SelfEnrolForm(FlaskForm):
    key = StringField(_l("选课密码"), validators=[DataRequired(), Length(max=64)],
                      render_kw={"autocomplete": "off", "autocapitalize": "none"})


class MentorForm(FlaskForm):
    student_id = SelectField(_l("学员"), coerce=int)
    mentor_id = SelectField(_l("企业导师"), coerce=int)


class ActivityForm(FlaskForm):
    kind = SelectField(_l("活动类型"))
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("正文 / 说明"), validators=[Optional(), Length(max=20000)])
    url = StringField(_l("链接"), validators=[Optional(), Length(max=500)])
    target_id = KindTargetField(_l("关联对象"), description=_l("从列表中选择本课程可用的对象；可输入名称查找。"))
    require = SelectField(_l("完成条件（考试）"), choices=[("submitted", _l("提交即完成")), ("passed", _l("通过才完成"))])
