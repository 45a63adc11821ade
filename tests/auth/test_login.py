"""Logging in and out, as a person and as an attacker would."""
from __future__ import annotations

from app.auth import services
from app.extensions import db
from tests import factories
from tests.conftest import PASSWORD


def test_login_lands_on_the_home_page_in_chinese(client, login_as):
    login_as("platform_admin")
    page = client.get("/home")
    assert page.status_code == 200
    assert "平台概览" in page.get_data(as_text=True)


def test_unknown_user_and_wrong_password_get_the_same_answer(client):
    factories.user("teacher", username="known")
    db.session.commit()
    wrong = client.form("/login", {"username": "known", "password": "nope-nope-nope"})
    unknown = client.form("/login", {"username": "nobody", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    strip = lambda r: r.get_data(as_text=True).split('name="csrf-token"')[1].split("</main>")[0]  # noqa: E731
    # The pages differ only in the CSRF token and the echoed username.
    assert "用户名或密码错误" in strip(wrong) and "用户名或密码错误" in strip(unknown)
    assert strip(wrong).replace("known", "X").count("alert") == strip(unknown).replace("nobody", "X").count("alert")


def test_deactivated_user_is_told_clearly_and_not_logged_in(client):
    user = factories.user("student")
    services.set_active(user, False)
    db.session.commit()
    response = client.form("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "已停用" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_cookie_copied_before_logout_is_refused_after_it(app, client, login_as):
    login_as("teacher")
    assert client.get("/home").status_code == 200
    stolen = client.get_cookie("gx_session").value
    client.form("/logout", token_from="/home")
    other = app.test_client()
    other.set_cookie("gx_session", stolen)
    response = other.get("/home")
    assert response.status_code == 302 and "/login" in response.location


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, login_as):
    user = login_as("teacher")
    second = app.test_client()
    login_as(user=user, client_=second)
    assert second.get("/home").status_code == 200
    response = client.form("/account/password", {"current": PASSWORD, "password": "a-brand-new-secret",
                                                  "confirm": "a-brand-new-secret"}, token_from="/account")
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    assert second.get("/home").status_code == 302


def test_a_wrong_current_password_returns_to_the_form_with_the_reason(client, login_as):
    login_as("teacher")
    response = client.form("/account/password", {"current": "not-my-password", "password": "a-brand-new-secret",
                                                  "confirm": "a-brand-new-secret"}, token_from="/account")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "当前密码不正确" in page and 'name="current"' in page
    assert client.get("/home").status_code == 200


def test_guessing_the_current_password_is_rate_limited(client, login_as):
    login_as("teacher")
    for _ in range(10):
        assert client.form("/account/password", {"current": "guess-guess", "password": "a-brand-new-secret",
                                                 "confirm": "a-brand-new-secret"}, token_from="/account").status_code == 200
    blocked = client.form("/account/password", {"current": PASSWORD, "password": "a-brand-new-secret",
                                                 "confirm": "a-brand-new-secret"}, token_from="/account")
    assert blocked.status_code == 429


def test_deactivation_ends_sessions_at_once(app, client, login_as):
    victim_client = app.test_client()
    victim = login_as("student", client_=victim_client)
    assert victim_client.get("/home").status_code == 200
    services.set_active(db.session.merge(victim), False)
    db.session.commit()
    assert victim_client.get("/home").status_code == 302


def test_post_without_csrf_token_is_refused(client, login_as):
    login_as("teacher")
    response = client.post("/account/tokens", data={"name": "x"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_next_parameter_cannot_leave_the_site(client):
    factories.user("teacher", username="nexter")
    db.session.commit()
    for target in ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"]:
        response = client.form("/login", {"username": "nexter", "password": PASSWORD, "next": target})
        assert response.status_code == 302
        assert response.location == "/home", target
        client.form("/logout", token_from="/home")
    response = client.form("/login", {"username": "nexter", "password": PASSWORD, "next": "/schools?q=1"})
    assert response.location == "/schools?q=1"


def test_too_many_failures_for_one_account_are_refused_even_with_the_right_password(client):
    factories.user("teacher", username="target")
    db.session.commit()
    for _ in range(10):
        assert client.form("/login", {"username": "target", "password": "wrong-password"}).status_code == 200
    blocked = client.form("/login", {"username": "target", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "过于频繁" in blocked.get_data(as_text=True)


def test_failures_across_accounts_from_one_address_are_limited(app, client):
    app.config["LOGIN_FAILURES_PER_IP"] = "5 per 15 minutes"
    try:
        for i in range(5):
            client.form("/login", {"username": f"user{i}", "password": "wrong-password"})
        assert client.form("/login", {"username": "user99", "password": "x"}).status_code == 429
    finally:
        app.config["LOGIN_FAILURES_PER_IP"] = "50 per 15 minutes"


def test_successful_logins_do_not_count_toward_the_limit(client):
    factories.user("teacher", username="regular")
    db.session.commit()
    for _ in range(12):
        assert client.form("/login", {"username": "regular", "password": PASSWORD}).status_code == 302
        client.form("/logout", token_from="/home")


def test_hash_made_with_old_parameters_is_renewed_at_login(app, client):
    user = factories.user("teacher")
    db.session.commit()
    old = user.password_hash
    app.config["ARGON2_TIME_COST"] = 2
    try:
        assert client.form("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
        db.session.expire_all()
        renewed = db.session.get(type(user), user.id).password_hash
        assert renewed != old and "t=2" in renewed
    finally:
        app.config["ARGON2_TIME_COST"] = 1


def test_passwords_are_argon2id_and_not_truncated(app):
    long_a = "x" * 200 + "a"
    long_b = "x" * 200 + "b"
    user = factories.user("teacher", password=long_a)
    assert user.password_hash.startswith("$argon2id$")
    from app.auth.passwords import verify_password

    assert verify_password(user.password_hash, long_a)
    assert not verify_password(user.password_hash, long_b)


def test_english_switch(client):
    token = client.csrf_token()
    client.post("/locale/en", data={"csrf_token": token, "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert "Log in" in page and 'lang="en"' in page


def test_the_language_chosen_before_logging_in_survives_login_and_logout(client, login_as):
    client.form("/locale/en", {"next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)
    login_as("teacher")
    assert "Teacher workspace" in client.get("/home").get_data(as_text=True)
    client.form("/logout", token_from="/home")
    assert "Log in" in client.get("/login").get_data(as_text=True)


def _failures_until_refused(client, forwarded_for: str, limit: int = 3) -> int:
    for attempt in range(1, limit + 2):
        response = client.form("/login", {"username": f"nobody{attempt}", "password": "wrong-password"},
                               headers={"X-Forwarded-For": forwarded_for})
        if response.status_code == 429:
            return attempt
    return 0


def test_behind_a_trusted_proxy_the_ip_limit_counts_each_client_not_the_proxy(app):
    from app import create_app
    from tests.conftest import Client

    proxied = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "INSTANCE_PATH": app.instance_path, "RATELIMIT_STORAGE_URI": "memory://",
                          "LOGIN_FAILURES_PER_IP": "3 per 15 minutes", "TRUSTED_PROXIES": 1})
    proxied.test_client_class = Client
    client = proxied.test_client()
    assert _failures_until_refused(client, "203.0.113.7") == 4
    # Another client behind the same nginx still gets its own allowance.
    assert _failures_until_refused(client, "198.51.100.9") == 4


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_ip_limit(app, client):
    app.config["LOGIN_FAILURES_PER_IP"] = "3 per 15 minutes"
    try:
        for number, forged in enumerate(["203.0.113.1", "203.0.113.2", "203.0.113.3"]):
            client.form("/login", {"username": f"forger{number}", "password": "x" * 9},
                        headers={"X-Forwarded-For": forged})
        assert _failures_until_refused(client, "203.0.113.4") == 1
    finally:
        app.config["LOGIN_FAILURES_PER_IP"] = "50 per 15 minutes"
