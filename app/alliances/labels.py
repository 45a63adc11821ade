"""Chinese labels of the stored keys (the UI shows these, never the keys)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

ALLIANCE_MEMBER_ROLE_LABELS = {"council": _l("理事单位"), "member": _l("成员单位")}
COMMITTEE_KIND_LABELS = {"guidance": _l("专业建设指导委员会"), "collaboration": _l("专业建设协作组")}
COMMITTEE_MEMBER_ROLE_LABELS = {
    "chair": _l("主任单位"),
    "deputy": _l("副主任单位"),
    "industry_support": _l("产业技术及就业支持企业"),
    "participant": _l("参与单位"),
    "master_studio": _l("技能大师工作室"),
}
APPLICATION_STATE_LABELS = {
    "submitted": _l("已申报"),
    "rework": _l("退回修改"),
    "rejected": _l("未通过"),
    "passed": _l("评审通过"),
    "accepted": _l("已验收"),
    "published": _l("已公布"),
}
