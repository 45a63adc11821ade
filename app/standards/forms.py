"""Forms to create standards and edit a draft version and its tree."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.standards.sections import SECTIONS

MAX_TEXT = 20000


class NewStandardForm(FlaskForm):
    profession_id = SelectField(_l("所属专业"), coerce=int, validators=[DataRequired()])
    level_id = SelectField(_l("层级"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("标题"), validators=[Optional(), Length(max=200)],
                        description=_l("留空则使用“专业名称专业（层级）工学一体化课程标准”"))


class VersionForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=200)])
    change_note = TextAreaField(_l("修订说明"), validators=[Optional(), Length(max=4000)],
                                description=_l("说明本版本与上一版本相比改了什么，审核专家会看到。"))


# One Markdown textarea per registered section (培养目标, 课程安排 ...).
for _key, _label in SECTIONS.items():
    setattr(VersionForm, f"section_{_key}", TextAreaField(
        _label, validators=[Optional(), Length(max=MAX_TEXT)], render_kw={"rows": 8},
        description=_l("支持 Markdown：标题、列表、表格、粗体、链接。")))


class CourseForm(FlaskForm):
    code = StringField(_l("编号"), validators=[DataRequired(), Length(max=32)], description=_l("例如 C1"))
    name = StringField(_l("一体化课程名称"), validators=[DataRequired(), Length(max=200)])
    hours = IntegerField(_l("学时"), validators=[DataRequired(), NumberRange(min=1, max=2000)])
    task_description = TextAreaField(_l("典型工作任务描述"), validators=[Optional(), Length(max=MAX_TEXT)],
                                     render_kw={"rows": 5})


class TaskForm(FlaskForm):
    code = StringField(_l("编号"), validators=[DataRequired(), Length(max=32)], description=_l("例如 C1-T2"))
    name = StringField(_l("学习任务名称"), validators=[DataRequired(), Length(max=200)])
    hours = IntegerField(_l("学时"), validators=[DataRequired(), NumberRange(min=1, max=2000)])
    objectives = TextAreaField(_l("学习目标"), validators=[Optional(), Length(max=MAX_TEXT)], render_kw={"rows": 5},
                               description=_l("每行一个学习目标。"))
    stage_lines = TextAreaField(_l("学习环节"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 7},
                           description=_l("每行一个环节，默认为六步法；可增删或改名。"))
    prerequisite_codes = SelectMultipleField(_l("先修学习任务"), validators=[Optional()])


class StandardUploadForm(FlaskForm):
    """Step 1 of the web import: a YAML file in the format of ``flask standards import``."""

    file = FileField(_l("课程标准文件（YAML）"), validators=[FileRequired(_l("请选择要上传的 YAML 文件。"))])
    lenient_hours = BooleanField(_l("学习任务学时与课程学时不一致时仍然导入（标准页面会显示警告）"))


class StandardImportConfirmForm(FlaskForm):
    """Step 2: the previewed file's text travels back with the confirmation and is validated again."""

    content = HiddenField(validators=[DataRequired()])
    filename = HiddenField()
    lenient_hours = HiddenField()
