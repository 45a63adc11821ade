"""The final-grade rule (weighted categories, drop-lowest, re-normalisation, per-item minimums)."""
from __future__ import annotations

from types import SimpleNamespace as NS

from app.grading.compute import Plan


def cat(id, name, weight, drop=0, parent=None):
    return NS(id=id, name=name, weight=weight, drop_lowest=drop, parent_id=parent, position=id)


def item(id, name, category, max_points=100, weight=1, min_score=None, hidden=False):
    return NS(id=id, name=name, category_id=category, max_points=max_points, weight=weight, min_score=min_score,
              hidden=hidden, position=id)


CATS = [cat(1, "过程性评价", 40, drop=1), cat(2, "终结性考核", 60)]
ITEMS = [item(10, "工作页1", 1, 10), item(11, "工作页2", 1, 10), item(12, "工作页3", 1, 10),
         item(20, "实操考核", 2, weight=2, min_score=60), item(21, "理论考试", 2)]


def test_weighted_categories_with_drop_lowest(app):
    with app.test_request_context():
        result = Plan(CATS, ITEMS).evaluate({10: 8, 11: 9, 12: 6, 20: 80, 21: 70}, 60)
    process, final = result.tree.children
    # process: 60% dropped, mean(80, 90) = 85; final: (80*2 + 70) / 3 = 76.67; total 0.4*85 + 0.6*76.67 = 80
    assert [c.dropped for c in process.children] == [False, False, True]
    assert round(process.percent, 2) == 85 and round(final.percent, 2) == 76.67
    assert result.value == 80.0 and result.status == "passed" and result.reasons == []


def test_item_minimum_fails_whatever_the_average(app):
    with app.test_request_context():
        result = Plan(CATS, ITEMS).evaluate({10: 10, 11: 10, 12: 10, 20: 55, 21: 100}, 60)
    assert result.value > 60 and result.status == "failed"
    assert "实操考核" in result.reasons[0] and "60" in result.reasons[0]


def test_missing_grades_are_renormalised_and_pending(app):
    with app.test_request_context():
        result = Plan(CATS, ITEMS).evaluate({10: 9, 21: 50}, 60)
    # only 工作页1 (90) in process and 理论考试 (50) in final: 0.4*90 + 0.6*50 = 66, but pending
    assert result.value == 66.0 and result.status == "pending"
    assert any("暂计" in r for r in result.reasons)


def test_below_pass_mark_fails_with_reason_and_hidden_items_do_not_count(app):
    items = ITEMS + [item(30, "未公布测验", 2, hidden=True)]
    with app.test_request_context():
        result = Plan(CATS, items).evaluate({10: 5, 11: 5, 12: 5, 20: 60, 21: 40, 30: 0}, 60)
    assert result.status == "failed" and "及格线" in result.reasons[0]
    assert all(c.id != 30 for c in result.tree.children[1].children)


def test_nested_categories(app):
    cats = [cat(1, "平时", 1), cat(2, "作业", 1, parent=1)]
    items = [item(10, "考勤", 1), item(11, "作业1", 2), item(12, "作业2", 2)]
    with app.test_request_context():
        result = Plan(cats, items).evaluate({10: 100, 11: 50, 12: 70}, 60)
    assert result.value == 80.0  # (100 + mean(50, 70)) / 2
