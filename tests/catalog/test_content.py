"""content/: loaded once, idempotent, validated with file and line."""
from __future__ import annotations

from sqlalchemy import func, select

from app.catalog.models import IndustryField, Profession
from app.certification.models import Phase, Target
from app.core.content import ContentError, default_content_root, load_content
from app.extensions import db


def test_shipped_content_is_loaded_with_targets_and_phases(app):
    assert db.session.scalar(select(func.count()).select_from(IndustryField)) == 13
    targets = {t.metric: t.value for t in db.session.scalars(select(Target))}
    assert targets == {"integrated_professions": 100, "schools": 1000, "certified_teachers": 10000}
    phases = [(p.number, p.teacher_trainings) for p in db.session.scalars(select(Phase).order_by(Phase.number))]
    assert phases == [(1, 1500), (2, 3500), (3, 5000)]
    cooking = db.session.scalar(select(Profession).where(Profession.name == "烹饪（中式烹调）"))
    assert cooking.code is None and cooking.field.name == "新餐饮"
    assert [lv.key for lv in cooking.levels] == ["intermediate", "advanced", "preparatory_technician"]


def test_loading_twice_changes_nothing(app):
    counts = load_content(default_content_root())
    assert set(counts.values()) == {0}


def test_errors_name_file_and_line_and_write_nothing(app, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("industry_fields:\n  - {key: brand-new, name: 新领域}\nprofessions:\n"
                   "  - {key: p1, name: 专业一, field: brand-new}\n"
                   "  - {key: p2, name: 专业二, field: no-such-field}\n", encoding="utf-8")
    try:
        load_content(str(bad))
    except ContentError as exc:
        assert exc.path.endswith("bad.yaml") and exc.line == 5
        assert "no-such-field" in exc.message
    else:
        raise AssertionError("bad content accepted")
    db.session.rollback()
    assert db.session.scalar(select(IndustryField).where(IndustryField.key == "brand-new")) is None


def test_cli_reports_errors_with_file_and_line(runner, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("schools:\n  - {key: s1, name: 学校, kind: university, province: 广东省}\n", encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(bad)])
    assert result.exit_code != 0
    assert "broken.yaml:2" in result.output and "university" in result.output
    malformed = tmp_path / "malformed.yaml"
    malformed.write_text("schools:\n  - {key: s1, name: [unclosed\n", encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(malformed)])
    assert result.exit_code != 0 and "malformed.yaml" in result.output


def test_platform_admin_adds_the_official_code_to_a_profession(client, login_as):
    login_as("platform_admin")
    profession = db.session.scalar(select(Profession).where(Profession.key == "auto-repair"))
    levels = [lv.id for lv in profession.levels]
    response = client.form(f"/professions/{profession.id}/edit", {
        "key": "auto-repair", "name": "汽车维修", "code": "0401-4", "field_id": profession.field_id,
        "levels": levels, "is_integrated": "y", "integrated_since": "2022-09-01"}, token_from="/professions")
    assert response.status_code == 302
    page = client.get(f"/professions/{profession.id}").get_data(as_text=True)
    assert "0401-4" in page and "2022年9月1日" in page


def test_teacher_cannot_edit_professions(client, login_as):
    login_as("teacher")
    assert client.get("/professions/new").status_code == 403


def test_a_taken_profession_key_returns_to_the_form_with_what_was_typed(client, login_as):
    login_as("platform_admin")
    response = client.form("/professions/new", {"key": "auto-repair", "name": "汽车维修（第二个）", "field_id": 0,
                                                "description": "新专业简介"}, token_from="/professions/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已被使用" in page and 'value="汽车维修（第二个）"' in page and "新专业简介" in page


def test_values_of_the_wrong_shape_are_file_and_line_errors_not_crashes(runner, tmp_path):
    cases = {
        "levels.yaml": ("professions:\n  - key: p-levels\n    name: 专业\n    levels: 5\n", ":2:", "levels"),
        "name.yaml": ("professions:\n  - key: p-name\n    name: [甲, 乙]\n", ":2:", "name"),
        "date.yaml": ("schools:\n  - key: s-date\n    name: 学校\n    kind: technical_school\n"
                      "    province: 广东省\n    integrated_since: 2022-13-01\n", ":6:", "2022-13-01"),
        "city.yaml": ("enterprises:\n  - {key: e-city, name: 企业, province: 广东省, city: {a: 1}}\n", ":2:", "city"),
    }
    for filename, (text, line, word) in cases.items():
        path = tmp_path / filename
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(args=["content", "load", str(path)])
        # A clean ClickException (exit 1), not an uncaught TypeError/ValueError from deep inside.
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (filename, result.exception)
        assert f"{filename}{line}" in result.output and word in result.output, (filename, result.output)
    assert db.session.scalar(select(Profession).where(Profession.key.in_(["p-levels", "p-name"]))) is None


def test_profession_list_statement_count_does_not_grow(client, login_as, count_queries):
    from app.catalog import services

    login_as("student")
    with count_queries() as before:
        client.get("/professions")
    levels = [lv.id for lv in services.training_levels()]
    for n in range(60):
        services.save_profession(None, key=f"bulk-{n}", name=f"批量专业{n}", code=None, field_id=None,
                                 level_ids=levels, is_integrated=False)
    db.session.commit()
    with count_queries() as after:
        client.get("/professions?page=2")
    assert before.count == after.count
