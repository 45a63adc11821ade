"""Review decision forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ApproveForm(FlaskForm):
    comment = TextAreaField(_l("审核意见（可选）"), validators=[Optional(), Length(max=4000)])
    next = HiddenField()


class RequestChangesForm(FlaskForm):
    comment = TextAreaField(_l("修改意见"), validators=[DataRequired(_l("退回修改时必须填写审核意见。")),
                                                        Length(max=4000)])
    next = HiddenField()


class MoveForm(FlaskForm):
    """Submit or withdraw: just the CSRF token and where to go back to."""

    comment = TextAreaField(_l("说明（可选）"), validators=[Optional(), Length(max=4000)])
    next = HiddenField()
