"""Pages of the demonstration base workflow (示范基地): apply, score, decide, accept, publish; the public list of
published bases and ``GET /api/v1/bases``. Views load, authorise, validate, call a service, commit, respond."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.alliances import forms, labels, permissions, services
from app.core import fileserve, uploads
from app.errors import FORM_REFUSED_STATUS, Conflict, PermissionDenied, ValidationError, form_refused
from app.extensions import db


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied(_("您没有权限执行此操作。"))


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def register_routes(bp) -> None:
    uploads.install(bp)

    @bp.route("/committees/<int:committee_id>/apply", methods=["GET", "POST"])
    @uploads.upload_endpoint(services.EVIDENCE_KINDS)
    @login_required
    def apply(committee_id: int):
        """A school admin applies for a base; a refusal re-renders the form with what was typed."""
        committee = services.get_committee(committee_id)
        _require(permissions.can_apply_for_base(current_user, committee))
        form = forms.ApplicationForm()
        form.profession_id.choices = [(0, _("请选择"))] + [(p.id, p.name) for p in committee.professions]
        partnerships = services.partnership_choices(current_user.school_id)
        criteria = committee.criteria or []
        error, status = None, 200
        if request.method == "POST":
            if form.validate_on_submit() and form.profession_id.data:
                assessment = [{"score": _int(request.form.get(f"score-{i}")),
                               "text": request.form.get(f"text-{i}", "")} for i in range(len(criteria))]
                evidence = {i: request.files.getlist(f"evidence-{i}") for i in range(len(criteria))}
                try:
                    application = services.apply_for_base(
                        current_user, committee, profession_id=form.profession_id.data,
                        self_assessment=assessment, partnership_ids=[
                            i for i in (_int(v) for v in request.form.getlist("partners")) if i is not None],
                        evidence=evidence, summary=form.summary.data or "")
                except (ValidationError, Conflict) as exc:
                    return form_refused(exc, "alliances/apply.html", form=form, committee=committee,
                                        criteria=criteria, partnerships=partnerships, error=None,
                                        values=request.form, chosen_partners=set(request.form.getlist("partners")))
                else:
                    db.session.commit()
                    flash(_("申报已提交，等待专家评审。"), "success")
                    return redirect(url_for("alliances.application", application_id=application.id))
            elif not form.errors:
                form.profession_id.errors = [*form.profession_id.errors, _("请选择申报专业。")]
            status = FORM_REFUSED_STATUS
        return render_template("alliances/apply.html", committee=committee, form=form, criteria=criteria,
                               partnerships=partnerships, error=error, values=request.form,
                               chosen_partners=set(request.form.getlist("partners"))), status

    @bp.route("/base-applications/<int:application_id>")
    @login_required
    def application(application_id: int):
        row = services.get_application(application_id)
        _require(permissions.can_view_application(current_user, row))
        return _application_page(row)

    def _application_page(row, *, error=None, status=200, forms_=None):
        manage = permissions.can_manage_committee(current_user, row.committee)
        scores = services.scores_of(row)
        mine = next((s for s in scores if s.expert_id == current_user.id), None)
        visible_scores = scores if manage else [s for s in scores if s.expert_id == current_user.id]
        given = forms_ or {}
        return render_template(
            "alliances/application.html", application=row, criteria=row.committee.criteria or [],
            scores=visible_scores, score_count=len(scores), mine=mine, history=services.history(row),
            can_score=permissions.can_score(current_user, row) and mine is None and row.state == "submitted",
            can_manage=manage, states=labels.APPLICATION_STATE_LABELS,
            score_form=given.get("score") or forms.ScoreForm(), decision_form=given.get("decide") or forms.DecisionForm(),
            accept_form=given.get("accept") or forms.AcceptForm(),
            publish_form=given.get("publish") or forms.PublishForm(), error=error, values=request.form), status

    @bp.post("/base-applications/<int:application_id>/score")
    @login_required
    def score(application_id: int):
        """An expert's score; a second one is refused on the page (the first is kept), an own-school expert 403."""
        row = services.get_application(application_id)
        _require(permissions.can_view_application(current_user, row))
        form = forms.ScoreForm()
        if not form.validate_on_submit():
            return _application_page(row, error=_("请检查填写的内容。"), status=FORM_REFUSED_STATUS,
                                     forms_={"score": form})
        values = [_int(request.form.get(f"score-{i}")) for i in range(len(row.committee.criteria or []))]
        try:
            services.score_application(row, current_user, values, form.comment.data or "")
        except (ValidationError, Conflict) as exc:
            db.session.rollback()
            return _application_page(services.get_application(application_id), error=exc.message,
                                     status=FORM_REFUSED_STATUS, forms_={"score": form})
        db.session.commit()
        flash(_("评分已提交。"), "success")
        return redirect(url_for("alliances.application", application_id=application_id))

    def _chair_action(application_id: int, form_class, key, action):
        row = services.get_application(application_id)
        _require(permissions.can_manage_committee(current_user, row.committee))
        form = form_class()
        if not form.validate_on_submit():
            return _application_page(row, error=_("请检查填写的内容。"), status=FORM_REFUSED_STATUS,
                                     forms_={key: form})
        try:
            action(row, form)
        except (ValidationError, Conflict) as exc:
            db.session.rollback()
            return _application_page(services.get_application(application_id), error=exc.message,
                                     status=FORM_REFUSED_STATUS, forms_={key: form})
        db.session.commit()
        flash(_("已保存。"), "success")
        return redirect(url_for("alliances.application", application_id=application_id))

    @bp.post("/base-applications/<int:application_id>/decide")
    @login_required
    def decide(application_id: int):
        return _chair_action(application_id, forms.DecisionForm, "decide",
                             lambda row, f: services.decide(row, current_user, f.decision.data, f.note.data or ""))

    @bp.post("/base-applications/<int:application_id>/accept")
    @login_required
    def accept(application_id: int):
        return _chair_action(application_id, forms.AcceptForm, "accept",
                             lambda row, f: services.accept(row, current_user, f.note.data or ""))

    @bp.post("/base-applications/<int:application_id>/publish")
    @login_required
    def publish(application_id: int):
        return _chair_action(application_id, forms.PublishForm, "publish",
                             lambda row, f: services.publish(row, current_user, f.batch_number.data))

    @bp.route("/base-applications/<int:application_id>/evidence/<int:evidence_id>")
    @login_required
    def evidence(application_id: int, evidence_id: int):
        row = services.get_application(application_id)
        _require(permissions.can_view_application(current_user, row))
        item = next((e for e in row.evidence if e.id == evidence_id), None)
        if item is None:
            abort(404)
        media = item.media_file
        return fileserve.send_stored(media.storage_key, mimetype=media.mime, etag=media.sha256[:32],
                                     filename=media.original_name, attachment=True)

    @bp.route("/bases")
    def bases():
        """Public: published demonstration bases by industry field and province."""
        from app.alliances.views import _fields

        fields = _fields()
        field = request.args.get("field", type=int)
        if field not in {f.id for f in fields}:
            field = None
        provinces = services.base_provinces()
        province = request.args.get("province") if request.args.get("province") in provinces else None
        return render_template("alliances/bases.html", bases=services.published_bases(field, province),
                               fields=fields, field=field, provinces=provinces, province=province)

    @bp.get("/api/v1/bases")
    def api_bases():
        """Public: ``{"items": [{"school", "province", "profession", "industry_field", "committee", "batch",
        "published_on"}]}``."""
        return jsonify({"items": [{
            "school": b.school.name, "province": b.school.province, "profession": b.profession.name,
            "industry_field": b.committee.industry_field.name if b.committee.industry_field else "",
            "committee": b.committee.name, "batch": b.batch_number, "published_on": b.published_on.isoformat()}
            for b in services.published_bases()]})
