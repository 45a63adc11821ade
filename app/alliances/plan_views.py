"""Plans: the 形象进度表 (tasks × quarters, planned vs reported; prints on an A4 landscape page) and the
progress report form."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.alliances import plans
from app.errors import FORM_REFUSED_STATUS, PermissionDenied, ValidationError
from app.extensions import db


def register_routes(bp) -> None:
    @bp.route("/plans")
    @login_required
    def plan_list():
        return render_template("alliances/plans.html", plans=plans.plans())

    @bp.route("/plans/<int:plan_id>")
    @login_required
    def plan(plan_id: int):
        row = plans.get_plan(plan_id)
        return _page(row)

    def _page(row, *, error=None, status=200, refused_task=None):
        return render_template("alliances/plan.html", plan=row, table=plans.progress_table(row),
                               quarters=plans.QUARTERS, can_manage=plans.can_manage_plan(current_user, row),
                               error=error, values=request.form, refused_task=refused_task), status

    @bp.post("/plans/<int:plan_id>/tasks/<int:task_id>/report")
    @login_required
    def report(plan_id: int, task_id: int):
        """Report a quarter's progress; a refusal shows the message above the table and keeps what was typed."""
        row = plans.get_plan(plan_id)
        task = plans.get_task(row, task_id)
        if not plans.can_report(current_user, row, task):
            raise PermissionDenied(_("您没有权限上报该任务的进度。"))
        try:
            plans.report_progress(row, task, current_user, quarter=request.form.get("quarter", type=int),
                                  percent=request.form.get("percent", type=int), text=request.form.get("text", ""))
        except ValidationError as exc:
            db.session.rollback()
            # The reason sits beside the task's own report form, which keeps what was typed.
            return _page(plans.get_plan(plan_id), error=exc.message, status=FORM_REFUSED_STATUS,
                         refused_task=task_id)
        db.session.commit()
        flash(_("进度已上报。"), "success")
        return redirect(url_for("alliances.plan", plan_id=plan_id))
