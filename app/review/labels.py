"""Display labels of review states (used by templates of every reviewable domain)."""
from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "draft": _l("草稿"),
    "submitted": _l("待审核"),
    "approved": _l("已发布"),
    "changes_requested": _l("需修改"),
    "withdrawn": _l("已撤回"),
}

#: Bootstrap badge colour per state (the label text carries the meaning, not the colour).
STATE_BADGES = {
    "draft": "text-bg-secondary",
    "submitted": "text-bg-warning",
    "approved": "text-bg-success",
    "changes_requested": "text-bg-danger",
    "withdrawn": "text-bg-light",
}
