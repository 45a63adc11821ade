"""The workbench (工作台): every role's home page, and its to-dos as JSON."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from app.workbench import services

bp = Blueprint("workbench", __name__)


@bp.route("/home")
@login_required
def home():
    template, context = services.home(current_user._get_current_object())
    return render_template(template, **context)


@bp.get("/api/v1/me/todo")
@login_required
def todo():
    """``{"items": [{"kind", "title", "due_at", "url"}, ...]}``, soonest due first (token or session)."""
    items = services.todo_items(current_user._get_current_object())
    return jsonify(items=[i.as_json() for i in items])
