"""Form fields shared by several domains.

:class:`KindTargetField` lets a user choose the object an item points at (the exam of a course activity, the
work task of a grade item) from a list of titles, one list per kind, never by typing an internal number. The
kinds come from a registry whose entries carry ``needs_target``, ``label`` and ``targets(course)``; the view
fills :attr:`KindTargetField.groups` from the objects *that course* may use, so a list never offers what the
user may not link. The field reads the list of the kind chosen in the form's ``kind`` field, so the page works
without JavaScript (every kind's list is shown, labelled with the kind's Chinese name); ``app.js`` shows only the
chosen kind's list and filters it as the user types.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import ValidationError
from wtforms.utils import unset_value


@dataclass
class TargetGroup:
    #: Registry key of the kind (never shown).
    kind: str
    #: The kind's name as users know it, e.g. 考试.
    label: str
    #: (object id, title) the user may choose.
    options: list[tuple[int, str]] = field(default_factory=list)


class KindTargetField(Field):
    """The id of the object chosen from the list of the kind selected in ``kind_field`` (``None`` if none)."""

    type = "KindTargetField"

    def __init__(self, label=None, validators=None, kind_field: str = "kind", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.kind_field = kind_field
        #: Filled by the view: one :class:`TargetGroup` per kind that needs a target.
        self.groups: list[TargetGroup] = []

    def set_groups(self, registry, course) -> None:
        """One list per registry entry that needs a target, with the objects ``course`` may use."""
        self.groups = [TargetGroup(entry.name, str(entry.label), list(entry.targets(course)))
                       for entry in registry.values() if entry.needs_target]

    def input_name(self, kind: str) -> str:
        return f"{self.name}-{kind}"

    def input_id(self, kind: str) -> str:
        return f"{self.id}-{kind}"

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = data
        if formdata is not None:
            kind = formdata.get(self.name[:len(self.name) - len(self.short_name)] + self.kind_field)
            raw = (formdata.get(self.input_name(kind)) or "").strip() if kind else ""
            try:
                self.data = int(raw) if raw else None
            except ValueError:
                self.data = None
                self.process_errors.append(_l("请从列表中选择。"))

    def pre_validate(self, form):
        kind = form[self.kind_field].data
        group = next((g for g in self.groups if g.kind == kind), None)
        if group is None:  # this kind points at nothing: whatever was sent is ignored
            self.data = None
            return
        if self.data is None:
            raise ValidationError(_l("请从列表中选择%(kind)s。", kind=group.label))
        if self.data not in {oid for oid, _title in group.options}:
            raise ValidationError(_l("所选%(kind)s不在可选范围内，请从列表中选择。", kind=group.label))
