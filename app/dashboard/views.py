"""The home page, chosen by the user's roles."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.auth.models import Role
from app.dashboard import services

bp = Blueprint("dashboard", __name__)


@bp.route("/home")
@login_required
def home():
    user = current_user
    if user.has_role(Role.platform_admin):
        return render_template("dashboard/admin.html", **services.admin_home())
    if user.has_role(Role.school_admin) and user.school:
        return render_template("dashboard/school_admin.html", **services.school_home(user.school))
    if user.has_role(Role.mentor) and user.enterprise:
        return render_template("dashboard/mentor.html", **services.enterprise_home(user.enterprise))
    if user.has_role(Role.reviewer):
        return render_template("dashboard/reviewer.html", **services.catalogue_home())
    if user.has_role(Role.teacher):
        return render_template("dashboard/teacher.html", **services.catalogue_home())
    return render_template("dashboard/student.html", **services.catalogue_home())
