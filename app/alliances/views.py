"""Pages of alliances and committees (public), and the public JSON list of committees."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.alliances import labels, permissions, services
from app.extensions import db

bp = Blueprint("alliances", __name__)


def _fields():
    from app.catalog.models import IndustryField

    return list(db.session.scalars(select(IndustryField).order_by(IndustryField.id)))


@bp.route("/committees")
def committees():
    """Committees grouped by industry field (filter ``?field=<id>``)."""
    fields = _fields()
    chosen = request.args.get("field", type=int)
    if chosen not in {f.id for f in fields}:
        chosen = None
    return render_template("alliances/committees.html", summaries=services.committee_summaries(chosen),
                           fields=fields, chosen=chosen, kinds=labels.COMMITTEE_KIND_LABELS)


@bp.route("/committees/<int:committee_id>")
def committee(committee_id: int):
    """A committee: professions, member organisations by role, the expert group; its applications for those
    who may see them."""
    row = services.get_committee(committee_id)
    return render_template("alliances/committee.html", committee=row,
                           groups=services.committee_members_by_role(row), experts=services.experts(row),
                           role_labels=labels.COMMITTEE_MEMBER_ROLE_LABELS, kinds=labels.COMMITTEE_KIND_LABELS,
                           can_manage=permissions.can_manage_committee(current_user, row),
                           can_apply=permissions.can_apply_for_base(current_user, row) and bool(row.professions),
                           applications=services.applications_for(current_user, row),
                           states=labels.APPLICATION_STATE_LABELS)


@bp.route("/alliances/<int:alliance_id>")
def alliance(alliance_id: int):
    """An alliance: its member schools and enterprises and its committees."""
    row = services.get_alliance(alliance_id)
    summaries = [s for s in services.committee_summaries() if s["committee"].alliance_id == row.id]
    return render_template("alliances/alliance.html", alliance=row, members=services.alliance_members(row),
                           summaries=summaries, member_roles=labels.ALLIANCE_MEMBER_ROLE_LABELS)


@bp.get("/api/v1/committees")
def api_committees():
    """Public: ``{"items": [{"name", "industry_field", "lead_organisation", "member_count"}]}``."""
    return jsonify({"items": [{k: s[k] for k in ("name", "industry_field", "lead_organisation", "member_count")}
                              for s in services.committee_summaries()]})


from app.alliances import base_views  # noqa: E402

base_views.register_routes(bp)

from app.alliances import plan_views  # noqa: E402

plan_views.register_routes(bp)
