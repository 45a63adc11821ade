"""Gradebook forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import KindTargetField


class CategoryForm(FlaskForm):
    name = StringField(_l("类别名称"), validators=[DataRequired(), Length(max=100)],
                       description=_l("例如 过程性评价、终结性考核"))
    weight = FloatField(_l("权重"), default=1, validators=[DataRequired(), NumberRange(min=0, max=1000)])
    drop_lowest = IntegerField(_l("去掉最低分的个数"), default=0, validators=[Optional(), NumberRange(min=0, max=20)])
    parent_id = SelectField(_l("上级类别"), coerce=int, validators=[Optional()])


class ItemForm(FlaskForm):
    name = StringField(_l("成绩项名称"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("来源"))
    target_id = KindTargetField(_l("关联对象"), description=_l("由系统计算的成绩项取哪一项的成绩；可输入名称查找。"))
    category_id = SelectField(_l("类别"), coerce=int, validators=[Optional()])
    max_points = FloatField(_l("满分"), default=100, validators=[DataRequired(), NumberRange(min=0.01, max=10000)])
    weight = FloatField(_l("类别内权重"), default=1, validators=[DataRequired(), NumberRange(min=0, max=1000)])
    min_score = FloatField(_l("最低要求分数"), validators=[Optional(), NumberRange(min=0)],
                           description=_l("不论总评多少，低于此分即不及格；留空为不设"))
    hidden = BooleanField(_l("暂不向学员公布"))


class GradeForm(FlaskForm):
    """One cell: ``mode`` is ``value`` (enter a manual item's points) or ``override`` (with a reason)."""

    mode = HiddenField(default="value")
    value = StringField(_l("分数"), validators=[Optional(), Length(max=20)])
    reason = TextAreaField(_l("覆盖原因"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()
