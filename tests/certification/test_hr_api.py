"""The API for HR systems: an official's programmes and certificates, a department subtree's progress
(paginated, filtered) — bearer tokens or the session; 401 without auth, 403 for learners, 404 outside the
caller's city (never revealing existence); one query per page, however many rows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from tests.conftest import login_as
from tests.factories import make_program, make_user
from training.certification.constants import Requirement, Status
from training.certification.models import Certificate, ProgramAssignment
from training.core.clock import frozen_clock
from training.extensions import db
from training.org.services.accounts import create_api_token

NOW = datetime(2026, 3, 10, 2, 0)
REQUIREMENTS = [
    {"kind": Requirement.COURSE, "met": True, "course_id": 1, "code": "M1-01", "title": "电子政务概论"},
    {"kind": Requirement.HOURS, "met": False, "required": 10.0, "earned": 4.5},
    {"kind": Requirement.EXAM, "met": False, "exam_id": 3, "title": "认证考试", "min_score": 60.0, "best": None},
]


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_api_token(user, 'HR 系统')[1]}"}


def assign(user, program, status, *, percent=0, due=None, certificate=None, requirements=()):
    row = ProgramAssignment(user_id=user.id, program_id=program.id, status=status, percent=percent, due_at=due,
                            requirements=list(requirements), certificate_id=certificate.id if certificate else None,
                            expires_at=certificate.expires_at if certificate else None)
    db.session.add(row)
    db.session.commit()
    return row


def certify(user, program, *, number: str, code: str, issued: datetime, months: int = 36, revoked=False):
    certificate = Certificate(number=number, verification_code=code, user_id=user.id, program_id=program.id,
                              cycle=f"initial:{number}", issued_at=issued,
                              expires_at=issued + timedelta(days=30 * months), holder_name=user.name,
                              department_name=user.department.name, program_name=program.name,
                              revoked_at=issued + timedelta(days=1) if revoked else None)
    db.session.add(certificate)
    db.session.commit()
    return certificate


@pytest.fixture
def yl_hr(org):
    return make_user(org.yl_bureau, employee_no="H0002", name="云人事", roles=[("hr", org.yl)])


@pytest.fixture
def world(org, learner):
    """Two programmes; in 清川: the learner (one certificate, one programme in progress) and two more people;
    in 云岭: one certified official."""
    basic = make_program("P-BASIC", name="电子政务应用能力（初级）")
    data = make_program("P-DATA", name="数据安全")
    qc_people = [learner] + [make_user(org.qc_division, employee_no=f"QC{i:03d}", name=f"清川{i}") for i in (1, 2)]
    yl_person = make_user(org.yl_division, employee_no="YL001", name="云岭一")
    old = certify(learner, basic, number="EGOV-2023-000001", code="OLDCODE23456", issued=NOW - timedelta(days=1200))
    current = certify(learner, basic, number="EGOV-2026-000002", code="ABCDEFGH2345", issued=NOW - timedelta(days=10))
    assign(learner, basic, Status.CERTIFIED, percent=100, certificate=current)
    assign(learner, data, Status.IN_PROGRESS, percent=33, due=NOW + timedelta(days=20), requirements=REQUIREMENTS)
    assign(qc_people[1], basic, Status.OVERDUE, percent=10, due=NOW - timedelta(days=3))
    assign(qc_people[2], basic, Status.NOT_STARTED)
    yl_cert = certify(yl_person, basic, number="EGOV-2026-000003", code="YLCODE234567", issued=NOW)
    assign(yl_person, basic, Status.CERTIFIED, percent=100, certificate=yl_cert)
    return {"basic": basic, "data": data, "qc": qc_people, "yl": yl_person, "old": old, "current": current}


def test_a_person_with_programmes_and_certificates(raw_client, hr_officer, world, learner):
    with frozen_clock(NOW):
        response = raw_client.get("/api/v1/people/L0001/certifications", headers=bearer(hr_officer))
    assert response.status_code == 200
    body = response.json
    assert body["employee_no"] == "L0001" and body["name"] == "李学员"
    assert body["department"] == {"code": "QC-RS-01", "name": "公务员管理科"}
    programs = {p["code"]: p for p in body["programs"]}
    assert programs["P-BASIC"]["status"] == "certified" and programs["P-BASIC"]["percent"] == 100
    assert programs["P-BASIC"]["expires_at"] == world["current"].expires_at.isoformat() + "Z"
    data = programs["P-DATA"]
    assert data["name"] == "数据安全" and data["status"] == "in_progress" and data["percent"] == 33
    assert data["due_at"] == "2026-03-30T02:00:00Z" and data["expires_at"] is None
    assert data["requirements"] == REQUIREMENTS
    newest, oldest = body["certificates"]
    assert newest == {"number": "EGOV-2026-000002", "program": {"code": "P-BASIC", "name": "电子政务应用能力（初级）"},
                      "issued_at": "2026-02-28T02:00:00Z", "expires_at": newest["expires_at"], "revoked_at": None,
                      "state": "valid", "verification_code": "ABCDEFGH2345"}
    assert oldest["number"] == "EGOV-2023-000001" and oldest["state"] == "expired"


def test_the_session_works_too_and_admins_see_every_city(client, admin, world):
    login_as(client, admin)
    assert client.get("/api/v1/people/YL001/certifications").json["certificates"][0]["number"] == "EGOV-2026-000003"
    assert client.get("/api/v1/departments/DJ/certifications").json["total"] == 5


ENDPOINTS = ["/api/v1/people/{person}/certifications", "/api/v1/departments/{department}/certifications"]
CITIES = {"qc": ("L0001", "QC"), "yl": ("YL001", "YL")}


def _url(endpoint: str, city: str) -> str:
    person, department = CITIES[city]
    return endpoint.format(person=person, department=department)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("city", ["qc", "yl"])
def test_401_without_credentials(raw_client, world, endpoint, city):
    response = raw_client.get(_url(endpoint, city))
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    bad = raw_client.get(_url(endpoint, city), headers={"Authorization": "Bearer egov_made-up"})
    assert bad.status_code == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("city", ["qc", "yl"])
def test_403_for_a_learner_even_about_themselves(raw_client, world, learner, endpoint, city):
    response = raw_client.get(_url(endpoint, city), headers=bearer(learner))
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(("officer", "own", "foreign"), [("qc", "qc", "yl"), ("yl", "yl", "qc")])
def test_404_outside_the_officers_city(raw_client, world, hr_officer, yl_hr, endpoint, officer, own, foreign):
    headers = bearer(hr_officer if officer == "qc" else yl_hr)
    assert raw_client.get(_url(endpoint, own), headers=headers).status_code == 200
    response = raw_client.get(_url(endpoint, foreign), headers=headers)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    # the same answer as for something that does not exist at all: existence is not revealed
    unknown = raw_client.get(endpoint.format(person="NOBODY", department="NOWHERE"), headers=headers)
    assert unknown.status_code == 404 and unknown.json == response.json


def test_a_department_subtree_paginated(raw_client, hr_officer, world):
    headers = bearer(hr_officer)
    first = raw_client.get("/api/v1/departments/QC/certifications?per_page=3", headers=headers).json
    assert first["department"] == {"code": "QC", "name": "清川市人民政府"}
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (4, 1, 3, 3)
    second = raw_client.get("/api/v1/departments/QC/certifications?per_page=3&page=2", headers=headers).json
    assert len(second["items"]) == 1
    items = first["items"] + second["items"]
    assert [(i["employee_no"], i["program_code"]) for i in items] == [
        ("L0001", "P-BASIC"), ("L0001", "P-DATA"), ("QC001", "P-BASIC"), ("QC002", "P-BASIC")]
    assert items[0] == {"employee_no": "L0001", "name": "李学员", "department_code": "QC-RS-01",
                        "program_code": "P-BASIC", "status": "certified", "percent": 100, "due_at": None,
                        "expires_at": world["current"].expires_at.isoformat() + "Z",
                        "certificate_number": "EGOV-2026-000002"}
    assert items[2]["status"] == "overdue" and items[2]["certificate_number"] is None
    capped = raw_client.get("/api/v1/departments/QC/certifications?per_page=100000", headers=headers).json
    assert capped["per_page"] == 500


@pytest.mark.parametrize(("query", "expected"), [
    ("status=overdue", [("QC001", "P-BASIC")]),
    ("status=certified", [("L0001", "P-BASIC")]),
    ("program=P-DATA", [("L0001", "P-DATA")]),
    ("status=certified&program=P-DATA", []),
])
def test_status_and_programme_filters(raw_client, hr_officer, world, query, expected):
    body = raw_client.get(f"/api/v1/departments/QC/certifications?{query}", headers=bearer(hr_officer)).json
    assert [(i["employee_no"], i["program_code"]) for i in body["items"]] == expected
    assert body["total"] == len(expected)


@pytest.mark.parametrize("status", ["done", "CERTIFIED", "1"])
def test_an_unknown_status_is_a_bad_request(raw_client, hr_officer, world, status):
    response = raw_client.get(f"/api/v1/departments/QC/certifications?status={status}", headers=bearer(hr_officer))
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"
    assert "overdue" in response.json["error"]["message"]


def test_one_page_costs_the_same_queries_for_3_or_60_rows(raw_client, admin, world, org):
    headers = bearer(admin)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def queries() -> int:
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert raw_client.get("/api/v1/departments/YL/certifications?per_page=100", headers=headers).status_code \
                == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    queries()  # the token's first use records last_used_at
    few = queries()
    for i in range(59):
        person = make_user(org.yl_division, employee_no=f"YL{i + 100:03d}", name=f"云岭{i}")
        assign(person, world["basic"], Status.IN_PROGRESS, percent=i)
    assert queries() == few
