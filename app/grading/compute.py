"""Final grade computation, pure Python (no database): the gradebook rule in one place.

The rule (also shown to learners, see docs/gradebook.md):

1. Each visible item scores ``points / max_points * 100``. Hidden items are not released yet and do not count.
2. A category's score is the weighted mean of its children (items and sub-categories, each with its weight)
   that have a score. Before that, ``drop_lowest`` of its lowest-scoring graded ITEMS are left out, but only
   while more items than that are graded.
3. Re-normalisation: a child without a score yet (an ungraded item, an empty category) is left out and the
   weights of the others are re-normalised; the result is then marked *pending* (provisional).
4. The final grade is the same weighted mean over the course's top-level categories and uncategorised items.
5. Per-item minimums: an item with ``min_score`` fails the course when its points are below it, whatever
   the average (the reason names the item). An ungraded item with a minimum keeps the result pending.
6. Status: failed if any minimum is missed; otherwise pending while anything counted is ungraded;
   otherwise passed when final >= pass mark, else failed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.core.i18n import fmt_score


@dataclass(slots=True)
class Node:
    """One child in the tree: an item or a category."""

    kind: str  # "item" | "category"
    id: int
    name: str
    weight: float
    #: 0–100 or None (not graded / nothing graded inside).
    percent: float | None = None
    points: float | None = None
    max_points: float | None = None
    min_score: float | None = None
    dropped: bool = False
    pending: bool = False
    #: Share of the parent's score this node actually carried (after drop and re-normalisation), 0–1.
    share: float = 0.0
    children: list["Node"] = field(default_factory=list)
    drop_lowest: int = 0


@dataclass
class FinalResult:
    value: float | None
    status: str  # FinalStatus value
    reasons: list[str]
    tree: Node


@dataclass(frozen=True)
class _ItemSpec:
    id: int
    name: str
    weight: float
    max_points: float
    min_score: float | None


@dataclass(frozen=True)
class _CatSpec:
    id: int
    name: str
    weight: float
    drop_lowest: int


class Plan:
    """The course's structure, prepared once (plain tuples, translated texts) and evaluated for many learners:
    evaluating 1,000 learners touches no ORM attribute and looks up no translation per learner."""

    def __init__(self, categories, items):
        cat_ids = {c.id for c in categories}
        visible = [i for i in items if not i.hidden]
        self.items_by_parent: dict[int | None, list[_ItemSpec]] = {}
        for item in sorted(visible, key=lambda i: (i.position, i.id)):
            parent = item.category_id if item.category_id in cat_ids else None
            self.items_by_parent.setdefault(parent, []).append(
                _ItemSpec(item.id, item.name, float(item.weight), float(item.max_points),
                          None if item.min_score is None else float(item.min_score)))
        self.cats_by_parent: dict[int | None, list[_CatSpec]] = {}
        for cat in sorted(categories, key=lambda c: (c.position, c.id)):
            parent = cat.parent_id if cat.parent_id in cat_ids else None
            self.cats_by_parent.setdefault(parent, []).append(
                _CatSpec(cat.id, cat.name, float(cat.weight), int(cat.drop_lowest or 0)))
        self.minimum_items = [spec for specs in self.items_by_parent.values() for spec in specs
                              if spec.min_score is not None]
        # Translated once; formatted per learner with plain %.
        self.text_total = _("总评")
        self.text_minimum = _("“%(item)s”得分 %(points)s，低于该项最低要求 %(min)s。")
        self.text_pending = _("还有成绩项未评分，当前总评为暂计结果。")
        self.text_below = _("总评 %(value)s，低于及格线 %(mark)s。")

    def evaluate(self, points_by_item: dict[int, float | None], pass_mark: float) -> FinalResult:
        root = Node("category", 0, self.text_total, 1.0)
        self._fill(root, None, points_by_item, frozenset())
        reasons, failed = [], False
        for spec in self.minimum_items:
            points = points_by_item.get(spec.id)
            if points is not None and points < spec.min_score:
                failed = True
                reasons.append(self.text_minimum % {"item": spec.name, "points": _fmt(points),
                                                    "min": _fmt(spec.min_score)})
        value = None if root.percent is None else round(root.percent, 2)
        if failed:
            status = "failed"
        elif root.pending or value is None:
            status = "pending"
            reasons.append(self.text_pending)
        elif value < pass_mark:
            status = "failed"
            reasons.append(self.text_below % {"value": _fmt(value), "mark": _fmt(pass_mark)})
        else:
            status = "passed"
        return FinalResult(value, status, reasons, root)

    def _fill(self, node: Node, cat_id, points_by_item, seen) -> None:
        if cat_id in seen:  # defensive: the service refuses cycles, a corrupt row must not loop forever
            return
        seen = seen | {cat_id}
        children = node.children
        for spec in self.items_by_parent.get(cat_id, ()):
            points = points_by_item.get(spec.id)
            percent = None if points is None or not spec.max_points else points * 100.0 / spec.max_points
            children.append(Node("item", spec.id, spec.name, spec.weight, percent, points, spec.max_points,
                                 spec.min_score, pending=points is None))
        for spec in self.cats_by_parent.get(cat_id, ()):
            child = Node("category", spec.id, spec.name, spec.weight, drop_lowest=spec.drop_lowest)
            self._fill(child, spec.id, points_by_item, seen)
            children.append(child)
        _aggregate(node)


def _aggregate(node: Node) -> None:
    graded_items = [c for c in node.children if c.kind == "item" and c.percent is not None]
    if node.drop_lowest and len(graded_items) > node.drop_lowest:
        for child in sorted(graded_items, key=lambda c: (c.percent, c.id))[:node.drop_lowest]:
            child.dropped = True
    counted = [c for c in node.children if c.percent is not None and not c.dropped and c.weight > 0]
    total_weight = sum(c.weight for c in counted)
    node.pending = any(c.pending for c in node.children if not c.dropped)
    if total_weight <= 0:
        node.percent = None
        node.pending = node.pending or bool(node.children)
        return
    for c in counted:
        c.share = c.weight / total_weight
    node.percent = sum(c.percent * c.share for c in counted)


def _fmt(value: float) -> str:
    return fmt_score(value)
