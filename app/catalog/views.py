"""Catalogue pages: professions by industry field."""
from flask import Blueprint, render_template, request
from flask_login import login_required

from app.catalog import services
from app.core.pagination import paginate

bp = Blueprint("catalog", __name__)

#: Later domains add sections to the profession page (it is the profession's resource package) without catalog
#: importing them: ``fn(profession) -> (template name, context dict)`` or None.
PROFESSION_PANELS: list = []


@bp.route("/professions")
@login_required
def professions():
    stmt = services.search_professions(q=request.args.get("q", ""), field_id=request.args.get("field", type=int),
                                       integrated=request.args.get("integrated", ""))
    return render_template("catalog/professions.html", page=paginate(stmt, per_page=50), fields=services.fields())


@bp.route("/professions/<int:profession_id>")
@login_required
def profession(profession_id: int):
    profession = services.get_profession(profession_id)
    panels = [panel for panel in (fn(profession) for fn in PROFESSION_PANELS) if panel]
    return render_template("catalog/profession.html", profession=profession, panels=panels)
