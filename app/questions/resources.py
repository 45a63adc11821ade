"""The profession's resource package counts the questions linked to each learning task (through knowledge points).

Only staff who may open question banks get these links, and only they are told about the kind at all (coverage,
filters): learners never browse exam questions. One statement, whatever the number of tasks, banks and questions;
questions on sub-points of a linked point count for its task.
"""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.auth.models import Role
from app.extensions import db
from app.questions import permissions
from app.questions.models import KnowledgePoint, Question, QuestionBank
from app.standards.resources import ResourceLink, register_resource_provider

KIND = "questions"


def _statement(task_ids: list[int], pattern: str | None = None):
    """Per learning task and linked point: the active questions of the point AND of its sub-points (a sub-point
    without a learning task of its own belongs to its parent's task; questions usually sit on the leaves).
    One statement with a recursive CTE over the point tree."""
    tree = (select(KnowledgePoint.id.label("point_id"), KnowledgePoint.id.label("root_id"),
                   KnowledgePoint.learning_task_id.label("task_id"))
            .where(KnowledgePoint.learning_task_id.in_(task_ids)).cte("point_tree", recursive=True))
    child = aliased(KnowledgePoint)
    tree = tree.union_all(select(child.id, tree.c.root_id, tree.c.task_id)
                          .join(tree, child.parent_id == tree.c.point_id).where(child.learning_task_id.is_(None)))
    root = aliased(KnowledgePoint)
    stmt = (select(tree.c.task_id, root.id, root.path, QuestionBank.id, QuestionBank.name, func.count(Question.id))
            .select_from(tree)
            .join(root, root.id == tree.c.root_id)
            .join(QuestionBank, QuestionBank.id == root.bank_id)
            .join(Question, Question.knowledge_point_id == tree.c.point_id)
            .where(Question.is_active.is_(True))
            .group_by(tree.c.task_id, root.id, root.path, QuestionBank.id, QuestionBank.name)
            .order_by(QuestionBank.name, root.path))
    if pattern is not None:
        stmt = stmt.where(root.path.ilike(pattern) | QuestionBank.name.ilike(pattern))
    if not current_user.has_role(Role.platform_admin, Role.reviewer):
        stmt = stmt.where(QuestionBank.school_id.is_(None) | (QuestionBank.school_id == current_user.school_id))
    return stmt


def _links(stmt) -> dict[int, list[ResourceLink]]:
    out: dict[int, list[ResourceLink]] = {}
    for task_id, point_id, path, bank_id, bank_name, count in db.session.execute(stmt):
        out.setdefault(task_id, []).append(ResourceLink(
            KIND, f"{bank_name} · {path}", url_for("questions.bank", bank_id=bank_id, point=point_id),
            detail=_("%(n)s 道题", n=count)))
    return out


def questions_for_tasks(task_ids: list[int]) -> dict[int, list[ResourceLink]]:
    if not permissions.can_list_banks(current_user):
        return {}
    return _links(_statement(task_ids))


def search_questions(q: str, task_ids: list[int]) -> dict[int, list[ResourceLink]]:
    """Knowledge points (and their banks) whose name matches ``q``."""
    if not permissions.can_list_banks(current_user):
        return {}
    pattern = f"%{q.strip()}%"
    return _links(_statement(task_ids, pattern))


def _may_see_questions() -> bool:
    return permissions.can_list_banks(current_user)


# Learners never browse exam questions: for them the kind does not exist (no links, no filter, no coverage column).
register_resource_provider(KIND, questions_for_tasks, label=_l("试题"), search=search_questions,
                           visible=_may_see_questions)
