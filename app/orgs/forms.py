"""Organisation forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class SchoolForm(FlaskForm):
    key = StringField(_l("代码"), validators=[DataRequired(), Length(min=2, max=64)],
                      description=_l("唯一标识，小写字母、数字和连字符，例如 gd-tech-college"))
    name = StringField(_l("学校名称"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("学校类型"), validators=[DataRequired()])
    province = StringField(_l("省份"), validators=[DataRequired(), Length(max=32)])
    city = StringField(_l("城市"), validators=[Optional(), Length(max=64)])
    integrated_since = DateField(_l("参与工学一体化日期"), validators=[Optional()])
    version = HiddenField()


class EnterpriseForm(FlaskForm):
    key = StringField(_l("代码"), validators=[DataRequired(), Length(min=2, max=64)])
    name = StringField(_l("企业名称"), validators=[DataRequired(), Length(max=200)])
    industry = StringField(_l("行业"), validators=[Optional(), Length(max=100)])
    province = StringField(_l("省份"), validators=[DataRequired(), Length(max=32)])
    city = StringField(_l("城市"), validators=[Optional(), Length(max=64)])
    version = HiddenField()


class PartnershipForm(FlaskForm):
    enterprise_id = SelectField(_l("合作企业"), coerce=int, validators=[DataRequired()])
    kind = SelectField(_l("合作形式"), validators=[DataRequired()])
    since = DateField(_l("开始日期"), validators=[Optional()])
