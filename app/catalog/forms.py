"""Catalogue forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.auth.forms import MultiCheckboxField


class ProfessionForm(FlaskForm):
    key = StringField(_l("代码"), validators=[DataRequired(), Length(min=2, max=64)],
                      description=_l("唯一标识，小写字母、数字和连字符"))
    name = StringField(_l("专业名称"), validators=[DataRequired(), Length(max=100)])
    code = StringField(_l("专业代码"), validators=[Optional(), Length(max=32)],
                       description=_l("请填写官方目录中的专业代码；不确定时留空，切勿编造"))
    field_id = SelectField(_l("产业领域"), coerce=int)
    levels = MultiCheckboxField(_l("培养层级"), coerce=int)
    is_integrated = BooleanField(_l("工学一体化专业"))
    integrated_since = DateField(_l("实施工学一体化日期"), validators=[Optional()])
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=5000)])
