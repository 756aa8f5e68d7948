"""The reports API: GET /api/v1/reports/departments/<code> and /api/v1/reports/people/<employee_no> — bearer
tokens or the session; 401 without auth, 403 for learners, 404 outside the caller's city (never revealing
existence), 400 for a months argument outside 1–36; the body carries the service's figures; a fixed number of
statements per dashboard (service and request) whatever the number of sub-departments."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tests import factories
from tests.conftest import login_as
from tests.reports.test_figures import (
    NOW,
    World,
    add_attempt,
    add_people,
    also_count,
    build_world,
    expected,
    make_exam,
    make_versions,
)
from training.core.clock import frozen_clock
from training.extensions import db
from training.org.models import Department
from training.org.services.accounts import create_api_token
from training.reports.models import ReportSnapshot
from training.reports.services.figures import (
    department_report,
    person_profile,
    profile_json,
    report_json,
    subtree_figures,
)

DEPARTMENT = "/api/v1/reports/departments/{}"
PERSON = "/api/v1/reports/people/{}"
FIGURE_KEYS = {"headcount", "suppressed", "required_enrolments", "completion_rate", "hours", "exam", "certification",
               "modules", "competencies"}


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_api_token(user, '报表')[1]}"}


def get(client, url: str, user=None):
    with frozen_clock(NOW):
        return client.get(url, headers=bearer(user) if user else {})


@pytest.fixture
def people(org):
    """An official in each city."""
    return factories.make_user(org.qc_division, employee_no="P-QC"), factories.make_user(org.yl_division,
                                                                                        employee_no="P-YL")


def test_the_department_body_is_the_services_report(raw_client, org, leader):
    world = build_world(org)
    also_count(world, leader)
    response = get(raw_client, DEPARTMENT.format("QC-RS"), leader)
    assert response.status_code == 200
    body = response.json
    with frozen_clock(NOW):
        assert body == report_json(department_report(leader, "QC-RS", now=NOW))
    assert body["department"] == {"code": "QC-RS", "name": "清川市人社局",
                                  "path": ["东江省人民政府", "清川市人民政府", "清川市人社局"]}
    assert body["months"] == 12 and set(body) >= FIGURE_KEYS
    wanted = expected(world, org.qc_bureau.path)
    assert body["headcount"] == wanted["headcount"] and body["suppressed"] is False
    assert body["hours"]["average"] == round(wanted["hours_avg"], 1)
    assert body["exam"] == {"participants": wanted["exam_participants"],
                            "participation_rate": round(wanted["exam_participation_rate"], 1),
                            "pass_rate": round(wanted["exam_pass_rate"], 1)}
    assert [row["code"] for row in body["certification"]] == ["P-A", "P-B"]
    assert [m["code"] for m in body["modules"]] == ["M1", "M3", "M7"]
    assert set(body["modules"][0]) == {"code", "title", "mastery", "responses", "band"}
    assert [(c["code"], c["headcount"]) for c in body["children"]] == [
        ("QC-RS-01", expected(world, org.qc_division.path)["headcount"]), ("QC-RS-02", 5)]
    assert FIGURE_KEYS | {"code", "name"} == set(body["children"][0]) == set(body["parent"]) == set(
        body["organisation"])
    assert (body["parent"]["code"], body["organisation"]["code"]) == ("QC", "DJ")
    assert body["trend"] == []


def test_suppressed_groups_and_the_trend_in_the_body(raw_client, org, admin):
    add_people(World(), org.yl_division, 4, random.Random(1))
    db.session.add(ReportSnapshot(month="2026-05", department_id=org.yl_division.id,
                                  figures={"headcount": 4, "completion_rate": None}))
    db.session.commit()
    body = get(raw_client, DEPARTMENT.format("YL-RS-01"), admin).json
    assert (body["headcount"], body["suppressed"], body["completion_rate"], body["modules"]) == (4, True, None, [])
    assert body["hours"] == {"average": None, "at_target_rate": None} and body["children"] == []
    assert body["trend"] == [{"month": "2026-05", "headcount": 4, "completion_rate": None}]


@pytest.mark.parametrize(("months", "participants"), [("12", 0), ("24", 1), ("", 0)])
def test_the_months_argument_sets_the_window(raw_client, org, admin, months, participants):
    versions, exam = make_versions(), make_exam("formal", org.province)
    person = add_people(World(), org.yl_bureau, 5, random.Random(2))[0]
    add_attempt(World(), person.id, exam, NOW - timedelta(days=396), [(*versions[0], 1, 2)])
    body = get(raw_client, DEPARTMENT.format("YL-RS") + f"?months={months}", admin).json
    assert (body["months"], body["exam"]["participants"]) == (int(months or 12), participants)
    profile = get(raw_client, PERSON.format(person.employee_no) + f"?months={months}", admin).json
    assert profile["modules"][0]["responses"] == participants


@pytest.mark.parametrize("months", ["0", "37", "-1", "abc", "1.5"])
def test_months_outside_1_to_36_is_a_bad_request(raw_client, org, admin, months):
    for url in (DEPARTMENT.format("QC"), PERSON.format(admin.employee_no)):
        response = get(raw_client, f"{url}?months={months}", admin)
        assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"


def test_the_person_body_is_the_services_profile(raw_client, org, hr_officer, people):
    body = get(raw_client, PERSON.format("P-QC"), hr_officer).json
    with frozen_clock(NOW):
        assert body == profile_json(person_profile(hr_officer, "P-QC", now=NOW))
    assert body["department"] == {"code": "QC-RS-01", "name": "公务员管理科"} and body["months"] == 12


# --- access -------------------------------------------------------------------------------------------

URLS = [DEPARTMENT.format("QC"), PERSON.format("P-QC")]


@pytest.mark.parametrize("url", URLS)
def test_401_without_credentials(raw_client, org, people, url):
    response = get(raw_client, url)
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("url", [*URLS, PERSON.format("L0001")])
def test_403_for_a_learner_even_about_themselves(raw_client, org, people, learner, url):
    response = get(raw_client, url, learner)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert login_as(raw_client, learner).get(url).status_code == 403


@pytest.mark.parametrize("url", [DEPARTMENT.format("YL"), DEPARTMENT.format("YL-RS-01"), DEPARTMENT.format("DJ"),
                                 PERSON.format("P-YL")])
@pytest.mark.parametrize("viewer", ["leader", "hr_officer"])
def test_404_outside_qingchuan(raw_client, org, people, request, url, viewer):
    user = request.getfixturevalue(viewer)
    response = get(raw_client, url, user)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    unknown = get(raw_client, url.rsplit("/", 1)[0] + "/NOWHERE", user)
    assert unknown.status_code == 404 and unknown.json == response.json
    assert login_as(raw_client, user).get(url).status_code == 404


@pytest.mark.parametrize("url", [*URLS, DEPARTMENT.format("QC-RS-01")])
def test_the_qingchuan_leader_reads_qingchuan_by_session_and_token(raw_client, org, people, leader, url):
    assert get(raw_client, url, leader).status_code == 200
    assert login_as(raw_client, leader).get(url).status_code == 200


def test_admins_read_the_province(raw_client, org, admin, people):
    body = get(raw_client, DEPARTMENT.format("DJ"), admin).json
    assert body["parent"] is None and body["organisation"]["code"] == "DJ"
    assert [child["code"] for child in body["children"]] == ["QC", "YL"]


# --- statements (service and request) ------------------------------------------------------------------

def count_statements(call) -> int:
    """Statements sent to the database while ``call()`` runs."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


@pytest.fixture
def two_and_twenty(org):
    """QC-RS with 2 sub-departments, YL-RS with 20, with people (some groups under 5) and graded items."""
    rng, world = random.Random(3), World()
    versions, exam = make_versions(), make_exam("formal", org.province)
    factories.make_program("P-A")
    for parent, children in ((org.qc_bureau, 2), (org.yl_bureau, 20)):
        for n in range(children):
            child = factories.make_department(f"{parent.code}-{n:02d}X", parent=parent, kind="division")
            for user in add_people(world, child, 5 if n % 2 else 1, rng):
                add_attempt(world, user.id, exam, NOW - timedelta(days=3), [(*rng.choice(versions), 1, 2)])


def test_the_dashboard_service_takes_a_fixed_number_of_statements(org, admin, two_and_twenty):
    def dashboard(code: str) -> int:
        db.session.expire_all()  # the viewer's grants are read again, as in a fresh request
        return count_statements(lambda: department_report(admin, code, now=NOW))

    assert dashboard("QC-RS") == dashboard("YL-RS") <= 10
    every = list(db.session.scalars(select(Department.id)))
    assert len(every) > 25
    assert count_statements(lambda: subtree_figures(every, now=NOW)) == 5
    assert count_statements(lambda: subtree_figures(every[:2], now=NOW)) == 5


def test_a_request_takes_a_fixed_number_of_statements(raw_client, org, admin, two_and_twenty):
    def request(code: str) -> int:
        with frozen_clock(NOW):
            return count_statements(lambda: raw_client.get(DEPARTMENT.format(code)).json["children"])

    login_as(raw_client, admin)
    assert request("QC-RS") == request("YL-RS") <= 10
