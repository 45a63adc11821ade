"""Forms of the notifications pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class ActionForm(FlaskForm):
    """Mark read / mark all read / delete: the CSRF token only."""


class WebhookForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称。")), Length(max=100)])
    url = StringField(_l("Webhook 地址"), validators=[DataRequired(_l("请填写地址。")), Length(max=500)])
    kinds = SelectMultipleField(_l("推送的消息类型（不选则全部推送）"), choices=[], validate_choice=True,
                                option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    allow_private = BooleanField(_l("允许内网地址（回环、私有、链路本地地址）"))
