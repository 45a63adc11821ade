"""Exam forms. The draw fields are generated from the question-type registry (one per type with points)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, FloatField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.auth.forms import MultiCheckboxField
from app.core import clock
from app.exams import review
from app.exams.models import MultiScoring
from app.questions import types as qtypes

MULTI_SCORING_LABELS = {
    MultiScoring.per_question.value: _l("按各题自身的设置（导入的 Moodle 题按其权重）"),
    MultiScoring.all_or_nothing.value: _l("全对才得分"),
    MultiScoring.proportional.value: _l("少选按比例得分，错选不得分"),
    MultiScoring.fractions.value: _l("按各选项的得分比例（导入的权重）"),
}


def local_to_utc(value):
    """A naive datetime typed in the configured zone (datetime-local inputs) as aware UTC."""
    return clock.from_local(value)


def utc_to_local(value):
    """A stored datetime as the naive local datetime a datetime-local field shows."""
    return clock.local_naive(value)


class ExamSettingsForm(FlaskForm):
    """Settings shared by creating and editing an exam."""

    title = StringField(_l("考试名称"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("考试说明"), validators=[Optional(), Length(max=5000)])
    opens_at = DateTimeLocalField(_l("开始时间"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("结束时间"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    time_limit_minutes = IntegerField(_l("限时（分钟）"), validators=[Optional(), NumberRange(1, 1440)])
    max_attempts = IntegerField(_l("允许作答次数"), default=1, validators=[DataRequired(), NumberRange(1, 100)])
    shuffle_questions = BooleanField(_l("打乱题目顺序"))
    shuffle_options = BooleanField(_l("打乱选项顺序"))
    one_at_a_time = BooleanField(_l("逐题作答（每页一题）"))
    allow_back = BooleanField(_l("逐题作答时允许返回上一题"), default=True)
    pass_percent = FloatField(_l("及格线（满分的百分比）"), default=60, validators=[NumberRange(0, 100)])
    multi_scoring = SelectField(_l("多选题计分方式"), default=MultiScoring.per_question.value,
                                choices=list(MULTI_SCORING_LABELS.items()))
    review_during = MultiCheckboxField(_l("作答期间可见"), choices=list(review.ASPECTS.items()))
    review_immediately = MultiCheckboxField(_l("交卷后立即可见"), choices=list(review.ASPECTS.items()))
    review_open = MultiCheckboxField(_l("交卷后、考试结束前可见"), choices=list(review.ASPECTS.items()))
    review_closed = MultiCheckboxField(_l("考试结束后可见"), choices=list(review.ASPECTS.items()))

    def review_policy(self) -> dict:
        return {moment: getattr(self, f"review_{moment}").data or [] for moment in review.MOMENTS}

    def fill_review(self, policy: dict) -> None:
        for moment, aspects in review.normalize(policy).items():
            getattr(self, f"review_{moment}").data = aspects

    def exam_fields(self) -> dict:
        return dict(title=self.title.data, description=self.description.data or "",
                    opens_at=local_to_utc(self.opens_at.data), closes_at=local_to_utc(self.closes_at.data),
                    time_limit_minutes=self.time_limit_minutes.data, max_attempts=self.max_attempts.data,
                    shuffle_questions=self.shuffle_questions.data, shuffle_options=self.shuffle_options.data,
                    one_at_a_time=self.one_at_a_time.data, allow_back=self.allow_back.data,
                    pass_percent=self.pass_percent.data, multi_scoring=self.multi_scoring.data,
                    review_policy=self.review_policy())


class NewExamForm(ExamSettingsForm):
    """A new exam whose paper draws questions from one bank by type (组卷规则)."""

    bank_id = SelectField(_l("抽题题库"), coerce=int, validate_choice=True)
    difficulty = SelectField(_l("难度"), coerce=int, default=0,
                             choices=[(0, _l("不限"))] + [(d, str(d)) for d in range(1, 6)])
    points = FloatField(_l("每题分值"), default=2, validators=[NumberRange(0, 1000)])

    def draws(self) -> list[tuple[str, int]]:
        return [(name, getattr(self, f"draw_{name}").data) for name in DRAW_TYPES
                if getattr(self, f"draw_{name}").data]

    def fill_draws(self, draw: dict) -> None:
        """Show a paper's rules (services.simple_draw) in the fields."""
        self.bank_id.data = draw["bank_id"]
        self.difficulty.data = draw["difficulty"] or 0
        self.points.data = draw["points"]
        for name in DRAW_TYPES:
            getattr(self, f"draw_{name}").data = draw["draws"].get(name, 0)

    def drop_draws(self) -> None:
        """Remove the rule fields (editing a paper whose rules the form cannot show)."""
        for name in ["bank_id", "difficulty", "points"] + [f"draw_{n}" for n in DRAW_TYPES]:
            delattr(self, name)

    def draws_changed(self, draw: dict) -> bool:
        return (self.bank_id.data != draw["bank_id"] or (self.difficulty.data or None) != draw["difficulty"]
                or self.points.data != draw["points"] or dict(self.draws()) != draw["draws"])


#: Types that can be drawn by rule (those with points), in registry order.
DRAW_TYPES = [name for name, kind in qtypes.TYPES.items() if kind.has_points]
for _name in DRAW_TYPES:
    setattr(NewExamForm, f"draw_{_name}",
            IntegerField(qtypes.TYPES[_name].label, default=0, validators=[Optional(), NumberRange(0, 500)]))


class GrantForm(FlaskForm):
    usernames = TextAreaField(_l("用户名（每行一个）"), validators=[DataRequired(), Length(max=20000)])
    extra_minutes = IntegerField(_l("延长时间（分钟）"), default=0, validators=[Optional(), NumberRange(0, 1440)])


class AudienceForm(FlaskForm):
    """Grant the exam to a course or cohort picked from a list (``course-<id>`` / ``cohort-<id>``), with an
    optional window of its own."""

    target = SelectField(_l("授权给（课程或班级）"), validators=[DataRequired()], validate_choice=True)
    opens_at = DateTimeLocalField(_l("该班级开始时间（可选）"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("该班级结束时间（可选）"), validators=[Optional()], format="%Y-%m-%dT%H:%M")

    def fill_targets(self, groups: list[tuple[str, str, list[tuple[int, str]]]]) -> None:
        """``groups``: (kind, group label, [(id, name)]), shown as option groups."""
        self.target.choices = {label: [(f"{kind}-{tid}", name) for tid, name in items]
                               for kind, label, items in groups if items}

    def picked(self) -> tuple[str, int]:
        kind, _sep, tid = (self.target.data or "").partition("-")
        return kind, int(tid)


class ExtraTimeForm(FlaskForm):
    """Extra time for one learner picked from the granted ones."""

    user_id = SelectField(_l("考生"), coerce=int, validate_choice=True)
    minutes = IntegerField(_l("延长时间（分钟）"), default=0, validators=[Optional(), NumberRange(0, 1440)])


class EntryForm(FlaskForm):
    """考试口令 and allowed networks (机房)."""

    access_code = StringField(_l("考试口令（留空则不需要）"), validators=[Optional(), Length(max=32)])
    allowed_networks = TextAreaField(_l("允许的 IP 地址段（每行一个，如 10.1.2.0/24；留空则不限）"),
                                     validators=[Optional(), Length(max=2000)])


class StartForm(FlaskForm):
    access_code = StringField(_l("考试口令"), validators=[Optional(), Length(max=64)])


class GradeForm(FlaskForm):
    """A hand grade: the points typed in, or (when the question has a rubric) one level per criterion, sent as
    ``level-<criterion id>`` fields and checked by services.grade_with_rubric."""

    score = FloatField(_l("得分"), validators=[Optional(), NumberRange(0, 1000)])
    comment = TextAreaField(_l("评语"), validators=[Optional(), Length(max=5000)])


class RubricForm(FlaskForm):
    criteria = TextAreaField(_l("评分量规（每行：名称 | 满分 | 等级=分数, ...）"),
                             validators=[DataRequired(), Length(max=5000)])
