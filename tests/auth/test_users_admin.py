"""User administration: who may manage whom, and what the pages show."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User, UserSession
from app.extensions import db
from tests import factories


def test_school_admin_sees_only_their_school(client, login_as):
    admin = login_as("school_admin")
    mine = factories.user("student", school_=admin.school, full_name="本校学生")
    factories.user("student", full_name="外校学生")
    db.session.commit()
    page = client.get("/users").get_data(as_text=True)
    assert "本校学生" in page and "外校学生" not in page
    assert mine.username in page


def test_school_admin_opening_another_schools_user_by_url_gets_403(client, login_as):
    login_as("school_admin")
    other = factories.user("student")
    db.session.commit()
    assert client.get(f"/users/{other.id}/edit").status_code == 403
    response = client.form(f"/users/{other.id}/active", token_from="/users")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, other.id).is_active


def test_platform_admin_creates_a_user_who_activates_with_the_code(app, client, login_as):
    login_as("platform_admin")
    school = factories.school()
    db.session.commit()
    response = client.form("/users/new", {"username": "newteacher", "full_name": "新老师", "roles": ["teacher"],
                                          "school_id": school.id, "enterprise_id": 0}, token_from="/users/new")
    assert response.status_code == 302
    flashed = client.get("/users").get_data(as_text=True)
    code = flashed.split("激活码：")[1].split("（")[0].strip()
    newcomer = app.test_client()
    activated = newcomer.form("/activate", {"username": "newteacher", "code": code.lower(),
                                            "password": "my-own-password", "confirm": "my-own-password"})
    assert activated.status_code == 302
    assert newcomer.get("/home").status_code == 200
    # The code is single-use.
    again = app.test_client().form("/activate", {"username": "newteacher", "code": code,
                                                 "password": "another-password", "confirm": "another-password"})
    assert "激活码无效" in again.get_data(as_text=True)


def test_school_admin_cannot_grant_platform_admin(client, login_as):
    admin = login_as("school_admin")
    response = client.form("/users/new", {"username": "sneaky", "roles": ["platform_admin"],
                                          "school_id": admin.school_id, "enterprise_id": 0},
                           token_from="/users/new")
    # platform_admin is not even a choice for a school admin: the form refuses it.
    assert response.status_code == 200
    assert db.session.scalar(select(User).where(User.username == "sneaky")) is None


def test_role_change_ends_the_users_sessions(app, client, login_as):
    login_as("platform_admin")
    target_client = app.test_client()
    target = login_as("teacher", client_=target_client)
    assert target_client.get("/home").status_code == 200
    response = client.form(f"/users/{target.id}/edit", {
        "username": target.username, "full_name": "x", "roles": ["teacher", "reviewer"],
        "school_id": target.school_id, "enterprise_id": 0, "version": 1}, token_from=f"/users/{target.id}/edit")
    assert response.status_code == 302
    assert target_client.get("/home").status_code == 302
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == target.id)) is None


def test_second_editor_gets_a_conflict_not_a_silent_overwrite(client, login_as):
    login_as("platform_admin")
    target = factories.user("teacher")
    db.session.commit()
    form = {"username": target.username, "full_name": "第一次", "roles": ["teacher"],
            "school_id": target.school_id, "enterprise_id": 0, "version": 1}
    assert client.form(f"/users/{target.id}/edit", form, token_from="/users").status_code == 302
    form["full_name"] = "第二次"
    stale = client.form(f"/users/{target.id}/edit", form, token_from="/users")
    assert stale.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, target.id).full_name == "第一次"


def test_user_list_uses_the_same_number_of_statements_for_10_or_300_users(client, login_as, count_queries):
    login_as("platform_admin")
    school = factories.school()
    for _ in range(10):
        factories.user("student", school_=school)
    db.session.commit()
    with count_queries() as small:
        assert client.get("/users?page=1").status_code == 200
    for _ in range(290):
        factories.user("teacher", school_=school)
    db.session.commit()
    with count_queries() as big:
        assert client.get("/users?page=2").status_code == 200
    assert big.count == small.count
    assert small.count <= 6, small.statements


def test_api_token_authenticates_and_can_be_revoked(client, login_as, runner, app):
    user = login_as("teacher")
    result = runner.invoke(args=["users", "token", user.username])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    api = app.test_client()
    assert api.get("/home", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert api.get("/home", headers={"Authorization": "Bearer gx_wrong"}).status_code == 401
    # A token-authenticated request needs no CSRF token and sets no session cookie.
    response = api.post("/account/tokens", data={"name": "via-api"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert api.get_cookie("gx_session") is None
    from app.auth.models import ApiToken

    first = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    revoke = runner.invoke(args=["users", "revoke-token", user.username, str(first.id)])
    assert revoke.exit_code == 0, revoke.output
    assert api.get("/home", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_tampered_version_field_is_a_conflict_not_a_server_error(client, login_as):
    login_as("platform_admin")
    user = factories.user("teacher", full_name="原名")
    db.session.commit()
    response = client.form(f"/users/{user.id}/edit", {
        "username": user.username, "full_name": "新名", "roles": ["teacher"], "school_id": user.school_id or 0,
        "enterprise_id": 0, "version": "abc"}, token_from=f"/users/{user.id}/edit")
    assert response.status_code == 200
    assert "刷新后重试" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).full_name == "原名"


def test_school_admin_saving_a_teacher_who_is_also_a_reviewer_keeps_the_reviewer_role(client, login_as):
    admin = login_as("school_admin")
    colleague = factories.user(roles=["teacher", "reviewer"], school_=admin.school, full_name="双角色")
    only_reviewer = factories.user(roles=["reviewer"], school_=admin.school, full_name="纯审核")
    db.session.commit()
    form = client.get(f"/users/{colleague.id}/edit").get_data(as_text=True)
    assert 'data-testid="kept-roles"' in form and "审核专家" in form
    response = client.form(f"/users/{colleague.id}/edit", {
        "username": colleague.username, "full_name": "双角色", "phone": "13900000000", "roles": ["teacher"],
        "school_id": admin.school_id, "enterprise_id": 0, "version": colleague.version},
        token_from=f"/users/{colleague.id}/edit")
    assert response.status_code == 302
    # A user whose only role the school admin cannot give can still have their phone number corrected.
    response = client.form(f"/users/{only_reviewer.id}/edit", {
        "username": only_reviewer.username, "full_name": "纯审核", "phone": "13700000000",
        "school_id": admin.school_id, "enterprise_id": 0, "version": only_reviewer.version},
        token_from=f"/users/{only_reviewer.id}/edit")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, colleague.id).role_names == {"teacher", "reviewer"}
    assert db.session.get(User, colleague.id).phone == "13900000000"
    assert db.session.get(User, only_reviewer.id).role_names == {"reviewer"}
    assert db.session.get(User, only_reviewer.id).phone == "13700000000"


def test_a_taken_username_returns_to_the_form_with_what_was_typed(client, login_as):
    login_as("platform_admin")
    factories.user("teacher", username="taken-name")
    db.session.commit()
    response = client.form("/users/new", {"username": "taken-name", "full_name": "新来的老师", "roles": ["teacher"],
                                          "school_id": 0, "enterprise_id": 0, "email": "x@y.cn"},
                           token_from="/users/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已存在" in page and 'value="新来的老师"' in page and 'value="x@y.cn"' in page


def test_a_role_that_is_not_offered_is_refused_in_chinese(client, login_as):
    admin = login_as("school_admin")
    response = client.form("/users/new", {"username": "sneaky2", "roles": ["reviewer"],
                                          "school_id": admin.school_id, "enterprise_id": 0},
                           token_from="/users/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is not a valid choice" not in page and "所选的选项无效" in page


def test_a_reissued_code_replaces_the_old_one_and_no_code_works_after_activation(app, client, login_as):
    from app.auth import services

    login_as("platform_admin")
    user = factories.user("student")
    first = services.issue_activation_code(user)
    db.session.commit()
    client.form(f"/users/{user.id}/activation-code", token_from="/users")
    second = client.get("/users").get_data(as_text=True).split("的新激活码：")[1].split("<")[0].strip()
    person = app.test_client()

    def activate(code, password):
        return person.form("/activate", {"username": user.username, "code": code, "password": password,
                                         "confirm": password})

    assert "激活码无效" in activate(first, "stolen-sheet-pass").get_data(as_text=True)
    assert activate(second, "my-real-password").status_code == 302
    # A code issued before the person set their password cannot take the account over afterwards.
    leftover = services.issue_activation_code(user)
    db.session.commit()
    services.set_password(db.session.get(User, user.id), "changed-by-owner")
    db.session.commit()
    again = app.test_client().form("/activate", {"username": user.username, "code": leftover,
                                                 "password": "takeover-pass", "confirm": "takeover-pass"})
    assert "激活码无效" in again.get_data(as_text=True)


def test_editing_a_user_of_a_deactivated_school_keeps_them_in_it(client, login_as):
    from app.orgs import services as orgs

    login_as("platform_admin")
    school = factories.school(name="已停用技校")
    user = factories.user("teacher", school_=school)
    orgs.set_school_active(school, False)
    db.session.commit()
    form = client.get(f"/users/{user.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{school.id}">已停用技校</option>' in form
    response = client.form(f"/users/{user.id}/edit", {
        "username": user.username, "full_name": "改了电话", "phone": "13500000000", "roles": ["teacher"],
        "school_id": school.id, "enterprise_id": 0, "version": user.version}, token_from=f"/users/{user.id}/edit")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).school_id == school.id
