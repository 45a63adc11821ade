"""Upload and edit forms for videos and documents."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class UploadForm(FlaskForm):
    file = FileField(_l("文件"), validators=[FileRequired(_l("请选择要上传的文件。"))])
    profession_id = SelectField(_l("所属专业"), coerce=int, validators=[DataRequired(_l("请选择所属专业。"))])
    title = StringField(_l("标题（留空则使用文件名）"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=4000)])
    learning_task_id = SelectField(_l("关联学习任务（可选）"), coerce=int, default=0)


class BulkUploadForm(FlaskForm):
    files = MultipleFileField(_l("文件（可多选）"), validators=[DataRequired(_l("请选择要上传的文件。"))])
    profession_id = SelectField(_l("所属专业"), coerce=int, validators=[DataRequired(_l("请选择所属专业。"))])


class EditForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(_l("标题不能为空。")), Length(max=200)])
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=4000)])
    learning_task_id = SelectField(_l("关联学习任务（可选）"), coerce=int, default=0)
