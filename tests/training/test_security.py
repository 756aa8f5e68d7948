"""CSRF, security headers, cookies, error pages, and templates that a strict CSP can serve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import login_as
from tests.factories import DEFAULT_PASSWORD
from training.extensions import db
from training.org.models import ApiToken, User
from training.org.services.accounts import create_api_token

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts]


def test_form_post_without_csrf_token_is_refused(raw_client, learner):
    response = raw_client.post("/login", data={"employee_no": "L0001", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "安全校验失败" in response.text
    assert db.session.get(User, learner.id).last_login_at is None


def test_state_change_without_csrf_token_is_refused(raw_client, learner):
    login_as(raw_client, learner)
    response = raw_client.post("/account/logout-everywhere")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, learner.id).session_version == learner.session_version


def test_cookie_authenticated_api_write_needs_csrf_header(raw_client, client, learner):
    token_id = create_api_token(learner, "script")[0].id
    login_as(raw_client, learner)
    refused = raw_client.delete(f"/api/v1/auth/tokens/{token_id}")
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id).revoked_at is None
    login_as(client, learner)
    assert client.delete(f"/api/v1/auth/tokens/{token_id}").status_code == 204


def test_bearer_api_write_needs_no_csrf(raw_client, learner):
    record, token = create_api_token(learner, "script")
    response = raw_client.delete(f"/api/v1/auth/tokens/{record.id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204


def test_security_headers_on_pages(client, app_ctx):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_flags(client, learner):
    response = client.post("/login", data={"employee_no": "L0001", "password": DEFAULT_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = client.post("/login", data={"employee_no": "L0001", "password": DEFAULT_PASSWORD},
                         base_url="https://localhost")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_not_found_page_is_friendly_chinese(client, app_ctx):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.text


def test_api_errors_are_json(client, app_ctx):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized" and response.json["error"]["message"]
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_unexpected_error_shows_no_stack_trace(client, learner, monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("training.dashboard.services.department_trail", explode)
    login_as(client, learner)
    response = client.get("/")
    assert response.status_code == 500
    assert "系统出错了" in response.text
    assert "Traceback" not in response.text and "secret internal detail" not in response.text


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_script_or_style(template):
    html = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> breaks the CSP"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler breaks the CSP"
    assert not re.search(r"\sstyle\s*=", html), "inline style attribute breaks the CSP"
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "external assets are not allowed (intranet)"
