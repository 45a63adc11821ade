"""Who may see and edit question banks. Banks belong to a school (its teachers edit them) or to the platform.

Answer keys are part of a bank, so students never see banks; they meet questions only through exams.
"""
from __future__ import annotations

from app.auth.models import Role

STAFF = (Role.platform_admin, Role.school_admin, Role.teacher, Role.reviewer)


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


def can_list_banks(user) -> bool:
    return _signed_in(user) and user.has_role(*STAFF)


def can_view_bank(user, bank) -> bool:
    """Platform admins and reviewers see every bank; school staff see platform banks and their school's."""
    if not can_list_banks(user):
        return False
    if user.has_role(Role.platform_admin, Role.reviewer):
        return True
    return bank.school_id is None or bank.school_id == user.school_id


def can_create_bank(user) -> bool:
    if not _signed_in(user):
        return False
    return user.has_role(Role.platform_admin) or (
        user.has_role(Role.teacher, Role.school_admin) and user.school_id is not None)


def can_edit_bank(user, bank) -> bool:
    """Edit questions, knowledge points, import: platform admins everywhere, school staff in their school's banks."""
    if not _signed_in(user):
        return False
    if user.has_role(Role.platform_admin):
        return True
    return (user.has_role(Role.teacher, Role.school_admin) and bank.school_id is not None
            and bank.school_id == user.school_id)


def can_view_question(user, question) -> bool:
    return can_view_bank(user, question.bank)


def can_edit_question(user, question) -> bool:
    return can_edit_bank(user, question.bank)


#: Extra rules for who may see a question's pictures, registered by domains above this one (exams lets a
#: student see the pictures of questions in their own attempts): callables ``(user, question_file) -> bool``.
FILE_VIEWERS: list = []


def can_view_file(user, record, bank) -> bool:
    """Staff who may see the bank, or anyone a registered rule lets through."""
    if can_view_bank(user, bank):
        return True
    return _signed_in(user) and any(rule(user, record) for rule in FILE_VIEWERS)
