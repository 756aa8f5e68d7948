"""The API skeleton: tokens, /me, /departments, /healthz, error shapes."""

from __future__ import annotations

from tests.conftest import login_as
from tests.factories import DEFAULT_PASSWORD, make_user
from training.extensions import db
from training.org.models import ApiToken


def test_healthz(client, app_ctx):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"


def test_issue_token_and_call_me(raw_client, hr_officer):
    response = raw_client.post("/api/v1/auth/token", json={"username": "H0001", "password": DEFAULT_PASSWORD,
                                                           "name": "人事系统"})
    assert response.status_code == 201
    token = response.json["token"]
    stored = db.session.get(ApiToken, response.json["id"])
    assert stored.token_hash != token and token not in stored.token_hash  # only the hash is kept
    me = raw_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["employee_no"] == "H0001" and me["name"] == "王人事"
    assert me["department"] == {"code": "QC-RS", "name": "清川市人社局", "path": hr_officer.department.path}
    assert {"role": "hr", "department_code": "QC"} in me["roles"]
    assert {"role": "learner", "department_code": None} in me["roles"]


def test_wrong_credentials_give_json_error(raw_client, learner):
    response = raw_client.post("/api/v1/auth/token", json={"username": "L0001", "password": "nope-nope-nope"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "authentication_failed"


def test_account_that_must_change_password_gets_no_token(raw_client, org):
    make_user(org.qc_division, employee_no="N0002", must_change_password=True)
    response = raw_client.post("/api/v1/auth/token", json={"username": "N0002", "password": DEFAULT_PASSWORD})
    assert response.status_code == 403 and response.json["error"]["code"] == "password_change_required"


def test_revoked_and_unknown_tokens_are_refused(raw_client, client, learner):
    token = raw_client.post("/api/v1/auth/token", json={"username": "L0001", "password": DEFAULT_PASSWORD}).json
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert raw_client.get("/api/v1/me", headers=headers).status_code == 200
    assert raw_client.delete(f"/api/v1/auth/tokens/{token['id']}", headers=headers).status_code == 204
    assert raw_client.get("/api/v1/me", headers=headers).status_code == 401
    assert raw_client.get("/api/v1/me", headers={"Authorization": "Bearer egov_made-up"}).status_code == 401


def test_bearer_token_ignores_a_cookie_session(client, learner, admin):
    token = client.post("/api/v1/auth/token", json={"username": "L0001", "password": DEFAULT_PASSWORD}).json["token"]
    login_as(client, admin)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["employee_no"] == "L0001"


def test_tokens_are_listed_and_revocable_on_the_profile_page(client, learner):
    login_as(client, learner)
    page = client.post("/account/tokens", data={"name": "我的脚本"})
    assert page.status_code == 200 and "仅显示这一次" in page.text and "egov_" in page.text
    record = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == learner.id))
    assert "我的脚本" in client.get("/account").text
    client.post(f"/account/tokens/{record.id}/revoke")
    db.session.expire_all()
    assert db.session.get(ApiToken, record.id).revoked_at is not None


def test_cannot_revoke_someone_elses_token(client, learner, admin):
    record_id = client.post("/api/v1/auth/token", json={"username": "A0001", "password": DEFAULT_PASSWORD}).json["id"]
    login_as(client, learner)
    assert client.delete(f"/api/v1/auth/tokens/{record_id}").status_code == 404
    assert db.session.get(ApiToken, record_id).revoked_at is None
