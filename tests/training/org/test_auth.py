"""Login, lockout, rate limit, password change and session invalidation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import login_as
from tests.factories import DEFAULT_PASSWORD, make_user
from training.core.audit import AuditEvent
from training.core.clock import frozen_clock, utcnow
from training.extensions import db, limiter
from training.org.models import User

NEW_PASSWORD = "a-much-better-passphrase-2026"


def post_login(client, employee_no, password, **extra):
    return client.post("/login", data={"employee_no": employee_no, "password": password, **extra})


def test_login_page_is_chinese(client, app_ctx):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录电子政务学院" in response.text
    assert '<html lang="zh-CN">' in response.text


def test_login_and_logout(client, learner):
    response = post_login(client, "L0001", DEFAULT_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert db.session.get(User, learner.id).last_login_at is not None
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_without_revealing_which_part(client, learner):
    wrong = post_login(client, "L0001", "not-the-password")
    unknown = post_login(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "账号或密码错误" in wrong.text and "账号或密码错误" in unknown.text


def test_lockout_after_ten_failures_for_fifteen_minutes(client, learner):
    start = utcnow()
    with frozen_clock(start):
        for _ in range(10):
            assert post_login(client, "L0001", "wrong-password-x").status_code == 401
        locked = post_login(client, "L0001", DEFAULT_PASSWORD)
        assert locked.status_code == 401 and "已锁定" in locked.text
    with frozen_clock(start + timedelta(minutes=14)):
        assert post_login(client, "L0001", DEFAULT_PASSWORD).status_code == 401
    with frozen_clock(start + timedelta(minutes=16)):
        assert post_login(client, "L0001", DEFAULT_PASSWORD).status_code == 302
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "account.locked")) is not None


def test_nine_failures_then_success_resets_the_counter(client, learner):
    for _ in range(9):
        post_login(client, "L0001", "wrong-password-x")
    assert post_login(client, "L0001", DEFAULT_PASSWORD).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, learner.id).failed_logins == 0


@pytest.fixture
def rate_limited(app):
    """The limiter on, with a small login limit, on the configured storage (Redis in CI)."""
    previous = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "5 per minute"
    limiter.enabled = True
    limiter.reset()
    yield
    limiter.reset()
    limiter.enabled = False
    app.config["LOGIN_RATE_LIMIT"] = previous


def test_login_is_rate_limited_per_ip(client, learner, rate_limited):
    statuses = [post_login(client, f"user{i}", "whatever-password").status_code for i in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # another address is not affected
    other = client.post("/login", data={"employee_no": "L0001", "password": DEFAULT_PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 302


def test_rate_limit_page_is_friendly(client, learner, rate_limited):
    for i in range(5):
        post_login(client, f"user{i}", "whatever-password")
    response = post_login(client, "L0001", DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "操作过于频繁" in response.text and "Traceback" not in response.text


def test_api_token_endpoint_is_rate_limited(client, learner, rate_limited):
    statuses = [client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code
                for _ in range(6)]
    assert statuses[-1] == 429


@pytest.fixture
def several_sessions(app):
    """Allow one account several sessions (SINGLE_SESSION_LOGIN off), to test what ends them."""
    app.config["SINGLE_SESSION_LOGIN"] = False
    yield
    app.config["SINGLE_SESSION_LOGIN"] = True


def test_a_new_login_ends_the_previous_session(app, client, learner):
    first_device = app.test_client()
    assert post_login(first_device, "L0001", DEFAULT_PASSWORD).status_code == 302
    assert first_device.get("/").status_code == 200
    assert post_login(client, "L0001", DEFAULT_PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    assert first_device.get("/").status_code == 302


def test_password_change_ends_other_sessions(app, client, learner, several_sessions):
    other_device = app.test_client()
    assert post_login(other_device, "L0001", DEFAULT_PASSWORD).status_code == 302
    assert post_login(client, "L0001", DEFAULT_PASSWORD).status_code == 302
    assert other_device.get("/").status_code == 200
    response = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session was renewed
    assert other_device.get("/").status_code == 302  # the other one is over
    fresh = app.test_client()
    assert post_login(fresh, "L0001", DEFAULT_PASSWORD).status_code == 401
    assert post_login(fresh, "L0001", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(("new", "message"), [
    ("short-pw", "至少需要 12 个字符"),
    ("aaaaaaaaaaaaaaaa", "过于简单"),
    ("my-L0001-password", "不能包含工号"),
])
def test_weak_passwords_are_refused(client, learner, new, message):
    login_as(client, learner)
    response = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": new, "confirm": new})
    assert response.status_code == 422 and message in response.text
    db.session.expire_all()
    assert db.session.get(User, learner.id).check_password(DEFAULT_PASSWORD)


def test_logout_everywhere(app, client, learner, several_sessions):
    other_device = app.test_client()
    post_login(other_device, "L0001", DEFAULT_PASSWORD)
    post_login(client, "L0001", DEFAULT_PASSWORD)
    assert other_device.get("/").status_code == 200
    client.post("/account/logout-everywhere")
    assert client.get("/").status_code == 302
    assert other_device.get("/").status_code == 302


def test_imported_account_must_change_password_first(client, org):
    make_user(org.qc_division, employee_no="N0001", must_change_password=True)
    post_login(client, "N0001", DEFAULT_PASSWORD)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_login_never_redirects_off_site(client, learner, target):
    response = post_login(client, "L0001", DEFAULT_PASSWORD, next=target)
    assert response.headers["Location"] == "/"


def test_login_continues_to_a_local_page(client, learner):
    response = post_login(client, "L0001", DEFAULT_PASSWORD, next="/account")
    assert response.headers["Location"] == "/account"


def test_deactivated_user_session_ends(app, client, learner, admin):
    post_login(client, "L0001", DEFAULT_PASSWORD)
    admin_client = login_as(app.test_client(), admin)  # a CsrfClient: the client fixture set the class
    assert admin_client.post(f"/admin/users/{learner.id}/active", data={"active": "0"}).status_code == 302
    assert client.get("/").status_code == 302
    assert post_login(client, "L0001", DEFAULT_PASSWORD).status_code == 401
