"""Forms of the demonstration base workflow. The per-criterion fields (self-assessment, scores, evidence) depend
on the committee's rubric and are read by the views from ``request.form`` next to these."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from flask_babel import lazy_gettext as _l


class ApplicationForm(FlaskForm):
    profession_id = SelectField(_l("申报专业"), coerce=int, validators=[DataRequired(_l("请选择申报专业。"))])
    summary = TextAreaField(_l("建设概况"), validators=[Optional()])


class ScoreForm(FlaskForm):
    comment = TextAreaField(_l("评审意见"), validators=[Optional()])


class DecisionForm(FlaskForm):
    decision = SelectField(_l("评审结论"), choices=[("pass", _l("通过")), ("rework", _l("退回修改")),
                                                  ("reject", _l("不通过"))])
    note = TextAreaField(_l("说明"), validators=[Optional()])


class AcceptForm(FlaskForm):
    note = TextAreaField(_l("验收意见"), validators=[Optional()])


class PublishForm(FlaskForm):
    batch_number = IntegerField(_l("公布批次"), validators=[DataRequired(_l("请填写批次。")),
                                                        NumberRange(min=1, message=_l("批次须为正整数。"))])
