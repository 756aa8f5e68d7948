"""Public verification of certificates: masked names, valid / expired / revoked with a frozen clock, the page and
the JSON API showing nothing else about the person, and the rate limit against enumerating codes."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

import pytest

from tests import factories
from tests.certification.conftest import CODE, EXPIRES, ISSUED, make_certificate, revoke_directly
from training.certification.services.verification import Verification, mask_name, normalise_code, verify
from training.core.clock import frozen_clock
from training.extensions import limiter


@pytest.fixture
def holder(org):
    return factories.make_user(org.qc_division, employee_no="Q7788", name="欧阳文明")


@pytest.fixture
def certificate(holder):
    program = factories.make_program("EGOV-L1", name="电子政务应用能力（初级）")
    return make_certificate(holder, program)


@pytest.mark.parametrize(("name", "masked"), [
    ("张伟", "张*"), ("张晓明", "张*明"), ("欧阳文明", "欧阳*明"), ("爱新觉罗溥仪", "爱新*仪"), ("李", "*"),
    ("", ""), (" 王小明 ", "王*明"),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("typed", ["abcd2345efgh", "ABCD-2345-EFGH", " abcd 2345 efgh ", "ABCD\u20142345\uff0dEFGH"])
def test_codes_are_case_insensitive_without_spaces_or_dashes(typed):
    assert normalise_code(typed) == CODE


def test_verification_carries_nothing_else_about_the_person():
    assert {f.name for f in fields(Verification)} == {
        "code", "state", "program_name", "number", "issued_at", "expires_at", "revoked_at", "masked_name"}


@pytest.mark.parametrize(("at", "state"), [
    (ISSUED + timedelta(days=1), "valid"),
    (EXPIRES - timedelta(seconds=1), "valid"),
    (EXPIRES, "expired"),
    (EXPIRES + timedelta(days=400), "expired"),
])
def test_state_follows_the_clock(certificate, at, state):
    with frozen_clock(at):
        result = verify(CODE.lower())
    assert result.state == state and result.masked_name == "欧阳*明" and result.number == "EGOV-2026-000001"
    assert (result.issued_at, result.expires_at, result.revoked_at) == (ISSUED, EXPIRES, None)


def test_revoked_wins_over_valid_and_expired(certificate):
    revoke_directly(certificate)
    for at in (ISSUED + timedelta(days=40), EXPIRES + timedelta(days=1)):
        result = verify(CODE, now=at)
        assert result.state == "revoked" and result.revoked_at == ISSUED + timedelta(days=30)


@pytest.mark.parametrize("code", ["ZZZZ2345EFGH", "ABCD2345EFG", "ABCD2345EFGH1", "ABCD0345EFGH", "", "' OR 1=1 --"])
def test_unknown_or_malformed_codes_find_nothing(certificate, code):
    assert verify(code) is None


# --- the page -------------------------------------------------------------------------------------------------

def test_page_shows_state_dates_and_masked_name_only(client, certificate, holder):
    with frozen_clock(ISSUED + timedelta(days=10)):
        response = client.get(f"/verify/{CODE}")
    assert response.status_code == 200
    text = response.text
    assert "有效" in text and "欧阳*明" in text and "电子政务应用能力（初级）" in text and "EGOV-2026-000001" in text
    assert "2026年3月2日" in text and "2029年3月2日" in text
    assert "欧阳文明" not in text and "Q7788" not in text and certificate.department_name not in text
    assert "公务员管理科" not in text and 'name="robots" content="noindex' in text


def test_page_says_expired_with_a_frozen_clock(client, certificate):
    with frozen_clock(EXPIRES + timedelta(days=1)):
        response = client.get(f"/verify/{CODE.lower()}")
    assert response.status_code == 200 and "已过期" in response.text and "真实有效" not in response.text


def test_page_says_revoked_without_the_reason(client, certificate):
    revoke_directly(certificate, reason="内部原因：考试作弊")
    response = client.get(f"/verify/{CODE}")
    assert response.status_code == 200 and "已撤销" in response.text and "2026年4月1日" in response.text
    assert "考试作弊" not in response.text


def test_unknown_code_is_a_404_page(client, certificate):
    response = client.get("/verify/ZZZZ2345EFGH")
    assert response.status_code == 404 and "没有与该验证码对应的证书" in response.text


def test_form_sends_a_typed_code_to_its_page(client, certificate):
    assert "证书验证码" in client.get("/verify").text
    response = client.get("/verify", query_string={"code": "abcd-2345-efgh"})
    assert response.status_code == 302 and response.headers["Location"] == f"/verify/{CODE}"
    malformed = client.get("/verify", query_string={"code": "abc"})
    assert malformed.status_code == 200 and "12 位字母和数字" in malformed.text


# --- the API --------------------------------------------------------------------------------------------------

def test_api_answers_without_authentication(client, certificate):
    with frozen_clock(ISSUED + timedelta(days=10)):
        response = client.get(f"/api/v1/verify/{CODE.lower()}")
    assert response.status_code == 200
    assert response.json == {
        "code": CODE, "state": "valid", "program": "电子政务应用能力（初级）", "number": "EGOV-2026-000001",
        "issued_at": "2026-03-02T02:00:00Z", "expires_at": "2029-03-02T02:00:00Z", "revoked_at": None,
        "holder": "欧阳*明"}
    assert "Q7788" not in response.text and "公务员管理科" not in response.text and "欧阳文明" not in response.text


def test_api_revoked_and_expired(client, certificate):
    with frozen_clock(EXPIRES + timedelta(days=1)):
        assert client.get(f"/api/v1/verify/{CODE}").json["state"] == "expired"
    revoke_directly(certificate, reason="内部原因：考试作弊")
    response = client.get(f"/api/v1/verify/{CODE}")
    assert response.json["state"] == "revoked" and response.json["revoked_at"] == "2026-04-01T02:00:00Z"
    assert "考试作弊" not in response.text


def test_api_unknown_code_is_a_json_404(client, certificate):
    response = client.get("/api/v1/verify/ZZZZ2345EFGH")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


# --- rate limit -------------------------------------------------------------------------------------------------

@pytest.fixture
def verify_limited(app):
    """The limiter on (conftest switches it off for the suite) with a small verification limit, on the
    configured storage, reset before and after."""
    previous = app.config.get("VERIFY_RATE_LIMIT")
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    limiter.enabled = True
    limiter.reset()
    yield
    limiter.reset()
    limiter.enabled = False
    if previous is None:
        app.config.pop("VERIFY_RATE_LIMIT")
    else:
        app.config["VERIFY_RATE_LIMIT"] = previous


def test_page_is_rate_limited_per_address_and_404s_count(client, certificate, verify_limited):
    statuses = [client.get(f"/verify/{code}").status_code for code in (CODE, "ZZZZ2345EFGH", "YYYY2345EFGH", CODE)]
    assert statuses == [200, 404, 404, 429]
    assert client.get(f"/verify/{CODE}", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


def test_page_and_api_share_one_budget(client, certificate, verify_limited):
    assert client.get(f"/verify/{CODE}").status_code == 200
    assert client.get(f"/api/v1/verify/{CODE}").status_code == 200
    assert client.get("/api/v1/verify/ZZZZ2345EFGH").status_code == 404
    limited = client.get(f"/api/v1/verify/{CODE}")
    assert limited.status_code == 429 and limited.json["error"]["code"] == "rate_limited"
    assert client.get(f"/verify/{CODE}").status_code == 429
