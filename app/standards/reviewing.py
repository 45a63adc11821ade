"""Registers standard versions with the review workflow (imported by models.py, so it runs at start-up)."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.review.registry import register_kind


def _title(version) -> str:
    return f"{version.title}（V{version.number}）"


def _url(version) -> str:
    return url_for("standards.version", version_id=version.id)


def _diff(version):
    from app.standards import services

    return services.version_diff_html(version)


def _prefetch(versions) -> None:
    from app.standards import services

    services.prefetch_for_diff(versions)


def _on_approve(version) -> None:
    from app.standards import services

    services.make_current(version)


def _on_withdraw(version) -> None:
    from app.standards import services

    services.reset_current(version.standard)


def _can_submit(user, version) -> bool:
    from app.standards.permissions import can_submit_version

    return can_submit_version(user, version)


def register() -> None:
    from app.standards.models import StandardVersion

    register_kind("standard_version", model=StandardVersion, label=_l("课程标准"), title=_title, url=_url,
                  diff=_diff, owner_id=lambda v: v.created_by_id, prefetch=_prefetch, on_approve=_on_approve,
                  on_withdraw=_on_withdraw, can_submit=_can_submit)
