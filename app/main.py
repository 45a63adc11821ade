"""Site-wide routes that belong to no domain: the front door. (Health and readiness probes: app/ops/views.py.)"""
from flask import Blueprint, redirect, url_for
from flask_login import current_user

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("workbench.home"))
    return redirect(url_for("auth.login"))
