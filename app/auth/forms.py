"""Account forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ActivateForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    code = StringField(_l("激活码"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters"})
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=8, max=1024)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(), EqualTo("password", _l("两次输入的密码不一致。"))],
                            render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=1024)],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=8, max=1024)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(), EqualTo("password", _l("两次输入的密码不一致。"))],
                            render_kw={"autocomplete": "new-password"})


class TokenForm(FlaskForm):
    name = StringField(_l("令牌名称"), validators=[Optional(), Length(max=100)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        # WTForms' Chinese catalogue lacks this message; without it a Chinese page would say it in English.
        kwargs.setdefault("invalid_choice_message", _l("所选的选项无效，请刷新页面后重新选择。"))
        super().__init__(*args, **kwargs)


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(min=2, max=64)],
                           render_kw={"autocapitalize": "none"})
    full_name = StringField(_l("姓名"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("邮箱"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("手机号"), validators=[Optional(), Length(max=32)])
    roles = MultiCheckboxField(_l("角色"), validators=[DataRequired(_l("至少选择一个角色。"))])
    school_id = SelectField(_l("所属学校"), coerce=int, validate_choice=True)
    enterprise_id = SelectField(_l("所属企业"), coerce=int, validate_choice=True)
    password = PasswordField(_l("初始密码（留空则生成激活码）"), validators=[Optional(), Length(min=8, max=1024)],
                             render_kw={"autocomplete": "new-password"})
    version = HiddenField()


class ImportForm(FlaskForm):
    file = FileField(_l("用户名单（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择要导入的文件。"))])
    dry_run = BooleanField(_l("只检查，不导入"))


class ConfirmForm(FlaskForm):
    """An empty form: a button whose POST carries the CSRF token."""
