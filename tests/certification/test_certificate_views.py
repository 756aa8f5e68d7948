"""Certificate pages: the holder's list, a certificate's page with its history, the PDF, revocation by HR
officers in scope (audited, shown on the public verification page and API) — and 404 for anyone out of scope."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.certification.conftest import CODE, EXPIRES, ISSUED, complete_course, graded_attempt, make_certificate
from tests.conftest import login_as
from training.certification.models import Certificate
from training.certification.services import assignments
from training.core.audit import AuditEvent
from training.core.clock import frozen_clock
from training.extensions import db

REASON = "培训档案材料造假，经核实予以撤销"


@pytest.fixture
def program(app_ctx):
    return factories.make_program("EGOV-L1", name="电子政务应用能力（初级）")


@pytest.fixture
def certificate(learner, program):
    return make_certificate(learner, program)


@pytest.fixture
def yl_hr(org):
    """An HR officer of the other city (云岭)."""
    return factories.make_user(org.yl_bureau, employee_no="H0002", name="赵人事", roles=[("hr", org.yl)])


def fresh(certificate: Certificate) -> Certificate:
    db.session.expire_all()
    return db.session.get(Certificate, certificate.id)


def test_pages_need_a_login(client, certificate):
    for path in ("/certificates", f"/certificates/{certificate.id}", f"/certificates/{certificate.id}/pdf"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_holder_lists_certificates_newest_first(client, learner, program, certificate):
    renewal = make_certificate(learner, program, code="WXYZ2345EFGH", number="EGOV-2029-000009",
                               issued_at=EXPIRES - timedelta(days=30), expires_at=EXPIRES + timedelta(days=1095),
                               cycle=f"renew:{certificate.id}", renews=certificate)
    response = login_as(client, learner).get("/certificates")
    assert response.status_code == 200
    text = response.text
    assert text.index(renewal.number) < text.index(certificate.number)
    assert f"/certificates/{certificate.id}/pdf" in text and "续证" in text


def test_holder_sees_details_history_and_no_revoke_form(client, learner, program, certificate):
    renewal = make_certificate(learner, program, code="WXYZ2345EFGH", number="EGOV-2029-000009",
                               issued_at=EXPIRES - timedelta(days=30), expires_at=EXPIRES + timedelta(days=1095),
                               cycle=f"renew:{certificate.id}", renews=certificate)
    with frozen_clock(ISSUED + timedelta(days=1)):
        response = login_as(client, learner).get(f"/certificates/{renewal.id}")
    assert response.status_code == 200
    text = response.text
    assert "电子政务应用能力（初级）" in text and "EGOV-2029-000009" in text and "李学员" in text
    assert "证书沿革" in text and "续证，接续 EGOV-2026-000001" in text and "首次取得" in text
    assert f"/verify/{renewal.verification_code}" in text
    assert "撤销证书" not in text and 'name="reason"' not in text


@pytest.mark.parametrize("viewer", ["hr_officer", "admin"])
def test_hr_in_scope_and_admin_see_the_revoke_form(request, client, certificate, viewer):
    response = login_as(client, request.getfixturevalue(viewer)).get(f"/certificates/{certificate.id}")
    assert response.status_code == 200 and 'name="reason"' in response.text and "L0001" in response.text


def test_holder_downloads_the_pdf(client, learner, certificate):
    response = login_as(client, learner).get(f"/certificates/{certificate.id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "certificate-EGOV-2026-000001.pdf" in response.headers["Content-Disposition"]


def test_hr_in_scope_downloads_the_pdf(client, hr_officer, certificate):
    assert login_as(client, hr_officer).get(f"/certificates/{certificate.id}/pdf").status_code == 200


def _page(client, certificate):
    return client.get(f"/certificates/{certificate.id}")


def _pdf(client, certificate):
    return client.get(f"/certificates/{certificate.id}/pdf")


def _revoke(client, certificate):
    return client.post(f"/certificates/{certificate.id}/revoke", data={"reason": REASON})


@pytest.mark.parametrize("action", [_page, _pdf, _revoke], ids=["page", "pdf", "revoke"])
@pytest.mark.parametrize("viewer", ["yl_hr", "other_learner", "leader"])
def test_out_of_scope_gets_404(request, client, org, certificate, action, viewer):
    users = {"other_learner": lambda: factories.make_user(org.qc_division, employee_no="L0002", name="张同事"),
             "yl_hr": lambda: request.getfixturevalue("yl_hr"),
             "leader": lambda: request.getfixturevalue("leader")}
    response = action(login_as(client, users[viewer]()), certificate)
    assert response.status_code == 404
    assert fresh(certificate).revoked_at is None


def test_unknown_certificate_is_404(client, hr_officer, certificate):
    assert login_as(client, hr_officer).get("/certificates/999999").status_code == 404


def test_hr_revokes_audited_and_verification_says_revoked(client, hr_officer, certificate):
    response = login_as(client, hr_officer).post(f"/certificates/{certificate.id}/revoke", data={"reason": REASON})
    assert response.status_code == 302 and response.headers["Location"] == f"/certificates/{certificate.id}"
    revoked = fresh(certificate)
    assert revoked.revoked_at is not None and revoked.revoke_reason == REASON
    assert revoked.revoked_by_id == hr_officer.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
    assert event.actor_id == hr_officer.id and event.object_id == str(certificate.id)
    page = client.get(f"/certificates/{certificate.id}")
    assert "已撤销" in page.text and REASON in page.text and 'name="reason"' not in page.text
    public = client.get(f"/verify/{CODE}")
    assert "已撤销" in public.text and REASON not in public.text
    api = client.get(f"/api/v1/verify/{CODE}")
    assert api.json["state"] == "revoked" and REASON not in api.text
    assert client.get(f"/certificates/{certificate.id}/pdf").status_code == 409


@pytest.mark.parametrize("reason", ["", "太短", "x" * 501])
def test_revocation_needs_a_reason_of_5_to_500_characters(client, hr_officer, certificate, reason):
    response = login_as(client, hr_officer).post(f"/certificates/{certificate.id}/revoke", data={"reason": reason})
    assert response.status_code == 422 and "field-error" in response.text
    assert fresh(certificate).revoked_at is None


def test_revoking_twice_is_refused_with_a_message(client, hr_officer, certificate):
    login_as(client, hr_officer)
    client.post(f"/certificates/{certificate.id}/revoke", data={"reason": REASON})
    first = fresh(certificate).revoked_at
    response = client.post(f"/certificates/{certificate.id}/revoke", data={"reason": "再次撤销的原因"},
                           follow_redirects=True)
    assert "已被撤销" in response.text and fresh(certificate).revoked_at == first
    assert fresh(certificate).revoke_reason == REASON


def test_holder_cannot_revoke_their_own(client, learner, certificate):
    response = login_as(client, learner).post(f"/certificates/{certificate.id}/revoke", data={"reason": REASON})
    assert response.status_code == 403 and fresh(certificate).revoked_at is None


def test_revocation_needs_the_csrf_token(raw_client, hr_officer, certificate):
    response = login_as(raw_client, hr_officer).post(f"/certificates/{certificate.id}/revoke",
                                                     data={"reason": REASON})
    assert response.status_code == 400 and fresh(certificate).revoked_at is None


def test_earned_certificate_end_to_end(client, learner, courses, cert_exam):
    """Join, complete the courses, pass the exam: the certificate is listed, prints and verifies as valid."""
    program = factories.make_program("EGOV-E2E", courses=courses[:2], exam=cert_exam, min_score=60,
                                     name="电子政务应用能力（端到端）")
    at = datetime(2026, 5, 4, 8, 0)
    with frozen_clock(at):
        assignments.join_program(learner, program.id)
        for course in courses[:2]:
            complete_course(learner, course)
        graded_attempt(learner, cert_exam, 88)
    certificate = db.session.scalars(select(Certificate).filter_by(user_id=learner.id)).one()
    login_as(client, learner)
    assert certificate.number in client.get("/certificates").text
    assert client.get(f"/certificates/{certificate.id}/pdf").status_code == 200
    with frozen_clock(at + timedelta(days=1)):
        public = client.get(f"/verify/{certificate.verification_code}")
    assert public.status_code == 200 and "该证书真实有效" in public.text and "李*员" in public.text
