"""Forms of the work-task pages. Stage editing and evaluations have a row per stage/criterion: their values are
read by the small parsers below, the CSRF token by an empty FlaskForm."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core import clock
from app.errors import ValidationError

WORK_MODES = [("individual", _l("个人完成")), ("group", _l("小组合作"))]
MISSING_RULES = [("renormalise", _l("缺评方的权重按比例分给其他评价方")), ("zero", _l("缺评方按 0 分计"))]


class AssignmentForm(FlaskForm):
    learning_task_id = SelectField(_l("学习任务"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("标题"), validators=[Optional(), Length(max=200)], description=_l("留空则用学习任务名称"))
    instructions = TextAreaField(_l("任务说明"), validators=[Optional(), Length(max=5000)])
    weight_self = IntegerField(_l("自评权重（%）"), default=10, validators=[InputRequired(), NumberRange(0, 100)])
    weight_peer = IntegerField(_l("互评权重（%）"), default=20, validators=[InputRequired(), NumberRange(0, 100)])
    weight_teacher = IntegerField(_l("师评权重（%）"), default=50, validators=[InputRequired(), NumberRange(0, 100)])
    weight_mentor = IntegerField(_l("企业评价权重（%）"), default=20, validators=[InputRequired(), NumberRange(0, 100)])
    missing_rule = SelectField(_l("缺评规则"), choices=MISSING_RULES, default="renormalise")
    peer_count = IntegerField(_l("每份作业的互评人数"), default=2, validators=[InputRequired(), NumberRange(0, 10)])
    peer_due_at = DateTimeLocalField(_l("互评截止时间"), format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                     description=_l("截止后缺少的互评按缺评规则处理，不再等待"))
    work_mode = SelectField(_l("完成方式"), choices=WORK_MODES, default="individual")
    group_size = IntegerField(_l("每组人数"), default=4, validators=[Optional(), NumberRange(2, 12)],
                              description=_l("小组合作时按此人数自动分组，布置后可在“分组”页调整"))
    criteria = TextAreaField(_l("评分量规"), validators=[DataRequired(), Length(max=5000)],
                             description=_l("每行一项：名称 | 满分 | 等级=分数, …（等级可省略）"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Without a deadline one classmate who never reviews would hold everyone's final score back for ever
        # (an empty optional field skips field-level validators, so this is checked here).
        peers_count = (self.weight_peer.data or 0) > 0 and (self.peer_count.data or 0) > 0
        if ok and peers_count and self.peer_due_at.data is None:
            self.peer_due_at.errors = [*self.peer_due_at.errors,
                                       _("互评有权重时须填写互评截止时间：截止后缺少的互评按缺评规则处理，不会一直等待。")]
            return False
        return ok

    def weights(self) -> dict[str, int]:
        return {"self": self.weight_self.data, "peer": self.weight_peer.data,
                "teacher": self.weight_teacher.data, "mentor": self.weight_mentor.data}


class AutoGroupForm(FlaskForm):
    size = IntegerField(_l("每组人数"), default=4, validators=[InputRequired(), NumberRange(2, 12)])


class NewGroupForm(FlaskForm):
    name = StringField(_l("小组名称"), validators=[Optional(), Length(max=100)], description=_l("留空则自动命名"))


class MoveForm(FlaskForm):
    student_id = SelectField(_l("学生"), coerce=int, validators=[DataRequired()])
    group_id = SelectField(_l("调入小组"), coerce=int, validators=[DataRequired()])


class AdjustForm(FlaskForm):
    points = DecimalField(_l("调整分"), places=1, validators=[InputRequired(), NumberRange(-30, 30)],
                          description=_l("在小组得分上加减，-30 到 30"))
    reason = StringField(_l("原因"), validators=[Optional(), Length(max=2000)])


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("意见"), validators=[Optional(), Length(max=2000)])


class EvaluationForm(FlaskForm):
    comment = TextAreaField(_l("评语"), validators=[Optional(), Length(max=2000)])


def local_to_utc(value: datetime | None):
    """A naive datetime typed in the configured zone (datetime-local inputs) as aware UTC."""
    return clock.from_local(value)


def parse_datetime(value: str | None):
    """A ``datetime-local`` string in the configured zone -> aware UTC (None when empty)."""
    try:
        return clock.parse_local_input(value)
    except ValueError:
        raise ValidationError(_("时间格式不正确：%(value)s", value=value)) from None


def to_local_input(value) -> str:
    """An aware/naive-UTC datetime as the value of a ``datetime-local`` input."""
    return clock.local_input(value)


def stage_settings(form, stages) -> list:
    """Stage editor rows from ``form`` (names ``name-<id>``, ``due-<id>``, ``approval-<id>``, ``evidence-<id>``;
    ``new`` for an added stage)."""
    from app.tasks.services import StageSetting

    rows = []
    for ident in [s.id for s in stages] + ["new"]:
        rows.append(StageSetting(id=None if ident == "new" else ident, name=form.get(f"name-{ident}", ""),
                                 due_at=parse_datetime(form.get(f"due-{ident}")),
                                 requires_approval=bool(form.get(f"approval-{ident}")),
                                 requires_evidence=bool(form.get(f"evidence-{ident}"))))
    return rows
