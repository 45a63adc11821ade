"""Forms of the careers domain. Choices (professions, levels, the enterprise's mentors) are set by the views."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FloatField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.careers.models import JobKind

KIND_LABELS = {JobKind.job.value: _l("全职岗位"), JobKind.internship.value: _l("实习岗位")}


class JobPostForm(FlaskForm):
    kind = SelectField(_l("岗位类型"), choices=list(KIND_LABELS.items()), validators=[DataRequired()])
    title = StringField(_l("岗位名称"), validators=[DataRequired(_l("请填写岗位名称。")), Length(max=200)])
    professions = SelectMultipleField(_l("面向专业"), coerce=int, validators=[DataRequired(_l("请至少选择一个专业。"))],
                                      render_kw={"size": 6})
    skill_level_id = SelectField(_l("职业技能等级要求"), coerce=int)
    province = StringField(_l("省份"), validators=[DataRequired(_l("请填写省份。")), Length(max=32)])
    city = StringField(_l("城市"), validators=[DataRequired(_l("请填写城市。")), Length(max=64)])
    district = StringField(_l("区县"), validators=[Optional(), Length(max=64)])
    pay_negotiable = BooleanField(_l("薪资面议"))
    pay_min = IntegerField(_l("最低月薪（元）"), validators=[Optional(), NumberRange(0, 1_000_000)])
    pay_max = IntegerField(_l("最高月薪（元）"), validators=[Optional(), NumberRange(0, 1_000_000)])
    headcount = IntegerField(_l("招聘人数"), default=1, validators=[InputRequired(), NumberRange(1, 10_000)])
    period_start = DateField(_l("实习开始日期"), validators=[Optional()])
    period_end = DateField(_l("实习结束日期"), validators=[Optional()])
    duties = TextAreaField(_l("岗位职责（可用 HTML）"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 6})
    mentor_id = SelectField(_l("企业导师"), coerce=int)
    expires_on = DateField(_l("截止日期"), validators=[DataRequired(_l("请填写截止日期。"))])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.pay_negotiable.data:
            if self.pay_min.data is None and not self.pay_min.errors:
                self.pay_min.errors = list(self.pay_min.errors) + [_l("请填写薪资范围，或选择“面议”。")]
                ok = False
            if self.pay_max.data is None and not self.pay_max.errors:
                self.pay_max.errors = list(self.pay_max.errors) + [_l("请填写薪资范围，或选择“面议”。")]
                ok = False
            if (self.pay_min.data is not None and self.pay_max.data is not None
                    and self.pay_min.data > self.pay_max.data):
                self.pay_max.errors = list(self.pay_max.errors) + [_l("最低薪资不能高于最高薪资。")]
                ok = False
        if self.kind.data == JobKind.internship.value:
            if self.period_start.data is None or self.period_end.data is None:
                self.period_end.errors = list(self.period_end.errors) + [_l("实习岗位请填写实习起止日期。")]
                ok = False
            elif self.period_start.data > self.period_end.data:
                self.period_end.errors = list(self.period_end.errors) + [_l("实习开始日期不能晚于结束日期。")]
                ok = False
        return ok

    def fields_for_service(self) -> dict:
        return dict(kind=self.kind.data, title=self.title.data, skill_level_id=self.skill_level_id.data or None,
                    province=self.province.data, city=self.city.data, district=self.district.data or "",
                    pay_negotiable=bool(self.pay_negotiable.data), pay_min=self.pay_min.data,
                    pay_max=self.pay_max.data, headcount=self.headcount.data, period_start=self.period_start.data,
                    period_end=self.period_end.data, duties=self.duties.data or "",
                    mentor_id=self.mentor_id.data or None, expires_on=self.expires_on.data)


class ApplyForm(FlaskForm):
    statement = TextAreaField(_l("自我介绍"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 4})


class StatusForm(FlaskForm):
    status = SelectField(_l("投递状态"), validators=[DataRequired()])


class TalentEntryForm(FlaskForm):
    profession_id = SelectField(_l("专业"), coerce=int, validators=[DataRequired(_l("请选择专业。"))])
    skill_level_id = SelectField(_l("技能等级"), coerce=int)
    headcount = IntegerField(_l("需求人数"), validators=[InputRequired(_l("请填写需求人数。")), NumberRange(1, 100_000)])
    needed_by = DateField(_l("需求时间"), validators=[Optional()])


class ItemEntryForm(FlaskForm):
    title = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称。")), Length(max=200)])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 3})


class PlacementForm(FlaskForm):
    start_on = DateField(_l("实习开始日期"), validators=[DataRequired(_l("请填写实习开始日期。"))])
    end_on = DateField(_l("实习结束日期"), validators=[DataRequired(_l("请填写实习结束日期。"))])
    supervisor_id = SelectField(_l("学校指导教师"), coerce=int)
    hours_per_day = IntegerField(_l("每日实习小时数"), default=8, validators=[InputRequired(), NumberRange(1, 24)])
    hours_per_week = IntegerField(_l("每周实习小时数"), default=40, validators=[InputRequired(), NumberRange(1, 168)])
    night_shifts = BooleanField(_l("安排夜班"))
    insured_on = DateField(_l("实习责任保险投保日期"), validators=[Optional()])


class WeeklyLogForm(FlaskForm):
    week_start = DateField(_l("周记所属周（任选该周一天）"), validators=[DataRequired(_l("请选择周记所属的周。"))])
    body = TextAreaField(_l("周记内容"), validators=[DataRequired(_l("请填写周记内容。")), Length(max=10000)],
                         render_kw={"rows": 5})


class CheckInForm(FlaskForm):
    """签到. The browser fills in the location when the student allows it (careers.js)."""

    latitude = FloatField(validators=[Optional(), NumberRange(-90, 90)], widget=HiddenField.widget)
    longitude = FloatField(validators=[Optional(), NumberRange(-180, 180)], widget=HiddenField.widget)
