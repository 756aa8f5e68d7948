"""Every people-administration endpoint against every actor: the wrong role is refused, and so is an HR
officer of another city (清川 QC vs 云岭 YL). Denied requests change nothing."""

from __future__ import annotations

import pytest

from tests.conftest import login_as
from tests.factories import make_user
from training.extensions import db
from training.org.models import Department, RoleGrant, User
from training.org.permissions import can_manage_department, can_view_department, scope_paths

ACTORS = ("learner", "examiner", "leader", "hr_other_city", "hr", "admin")


@pytest.fixture
def world(org, learner, examiner, leader, hr_officer, admin):
    target = make_user(org.qc_division, employee_no="T0001", name="赵目标", roles=[("leader", org.qc_division)])
    hr_yl = make_user(org.yl_bureau, employee_no="H0002", name="孙人事", roles=[("hr", org.yl)])
    grant = db.session.scalar(db.select(RoleGrant).where(RoleGrant.user_id == target.id))
    return {
        "org": org, "target": target, "grant": grant,
        "actors": {"learner": learner, "examiner": examiner, "leader": leader, "hr_other_city": hr_yl,
                   "hr": hr_officer, "admin": admin},
    }


def _user_form(world, **override):
    target = world["target"]
    data = {"employee_no": target.employee_no, "name": "赵改名", "department_id": target.department_id,
            "rank": "一级科员", "position": ""}
    data.update(override)
    return data


# (name, method, url builder, form builder, expected status by actor)
DENY_ALL_BUT_PEOPLE_ADMIN = {"learner": 403, "examiner": 403, "leader": 403}
CASES = [
    ("list users", "GET", lambda w: "/admin/users", None,
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 200, "hr": 200, "admin": 200}),
    ("view user", "GET", lambda w: f"/admin/users/{w['target'].id}", None,
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 404, "hr": 200, "admin": 200}),
    ("edit user", "POST", lambda w: f"/admin/users/{w['target'].id}", _user_form,
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 404, "hr": 302, "admin": 302}),
    ("deactivate user", "POST", lambda w: f"/admin/users/{w['target'].id}/active", lambda w: {"active": "0"},
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 404, "hr": 302, "admin": 302}),
    ("reset password", "POST", lambda w: f"/admin/users/{w['target'].id}/reset-password", lambda w: {},
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 404, "hr": 200, "admin": 200}),
    ("grant examiner", "POST", lambda w: f"/admin/users/{w['target'].id}/roles",
     lambda w: {"role": "examiner", "department_id": 0},
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 404, "hr": 403, "admin": 302}),
    # HR officers grant and revoke only the learner role; the target's leader grant is beyond them.
    ("revoke role", "POST", lambda w: f"/admin/roles/{w['grant'].id}/revoke", lambda w: {},
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 403, "hr": 403, "admin": 302}),
    ("new user form", "GET", lambda w: "/admin/users/new", None,
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 200, "hr": 200, "admin": 200}),
    ("department tree", "GET", lambda w: "/admin/departments", None,
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 200, "hr": 200, "admin": 200}),
    ("new department", "GET", lambda w: "/admin/departments/new", None,
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 403, "hr": 403, "admin": 200}),
    ("move department", "POST", lambda w: f"/admin/departments/{w['org'].qc_division.id}/edit",
     lambda w: {"code": "QC-RS-01", "name": "改名科", "kind": "division", "parent_id": w["org"].yl_bureau.id,
                "is_active": "y"},
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 403, "hr": 403, "admin": 302}),
    ("audit log", "GET", lambda w: "/admin/audit", None,
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 403, "hr": 403, "admin": 200}),
    ("roster page", "GET", lambda w: "/admin/roster", None,
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 200, "hr": 200, "admin": 200}),
    ("roster template", "GET", lambda w: "/admin/roster/template.xlsx", None,
     {**DENY_ALL_BUT_PEOPLE_ADMIN, "hr_other_city": 200, "hr": 200, "admin": 200}),
]


def _snapshot(world):
    db.session.expire_all()
    target = db.session.get(User, world["target"].id)
    division = db.session.get(Department, world["org"].qc_division.id)
    return (target.name, target.is_active, target.password_hash, target.session_version,
            sorted((g.role, g.department_id) for g in target.grants), division.name, division.path)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("name", "method", "url", "form", "expected"), CASES, ids=[c[0] for c in CASES])
def test_people_admin_matrix(client, world, actor, name, method, url, form, expected):
    before = _snapshot(world)
    login_as(client, world["actors"][actor])
    response = client.get(url(world)) if method == "GET" else client.post(url(world), data=form(world))
    assert response.status_code == expected[actor], response.text[:500]
    if expected[actor] in (403, 404):
        assert _snapshot(world) == before, "a refused request changed data"


def test_hr_listing_shows_only_own_subtree(client, world):
    login_as(client, world["actors"]["hr_other_city"])
    page = client.get("/admin/users").text
    assert "H0002" in page and "T0001" not in page and "H0001" not in page
    login_as(client, world["actors"]["hr"])
    page = client.get("/admin/users").text
    assert "T0001" in page and "H0002" not in page


def test_hr_cannot_filter_into_another_subtree(client, world):
    login_as(client, world["actors"]["hr_other_city"])
    response = client.get(f"/admin/users?department_id={world['org'].qc_division.id}")
    assert response.status_code == 404


def test_hr_cannot_create_user_in_another_city(client, world):
    login_as(client, world["actors"]["hr_other_city"])
    response = client.post("/admin/users/new", data={"employee_no": "X9999", "name": "越权", "rank": "一级科员",
                                                    "department_id": world["org"].qc_division.id})
    assert response.status_code == 200  # the form comes back: the department is not among the choices
    assert db.session.scalar(db.select(User).where(User.employee_no == "X9999")) is None


def test_hr_cannot_move_own_user_into_another_city(client, world):
    login_as(client, world["actors"]["hr"])
    client.post(f"/admin/users/{world['target'].id}", data=_user_form(world, department_id=world["org"].yl_division.id))
    db.session.expire_all()
    assert db.session.get(User, world["target"].id).department_id == world["org"].qc_division.id


def test_departments_api_is_scoped(client, world):
    login_as(client, world["actors"]["hr_other_city"])
    codes = {d["code"] for d in client.get("/api/v1/departments").json["departments"]}
    assert codes == {"YL", "YL-RS", "YL-RS-01"}
    login_as(client, world["actors"]["learner"])
    codes = {d["code"] for d in client.get("/api/v1/departments").json["departments"]}
    assert codes == {"QC-RS-01"}
    login_as(client, world["actors"]["admin"])
    assert len(client.get("/api/v1/departments").json["departments"]) == 7


def test_predicates_follow_the_tree(world):
    org, actors = world["org"], world["actors"]
    assert can_manage_department(actors["hr"], org.qc_division)
    assert not can_manage_department(actors["hr"], org.yl_division)
    assert not can_manage_department(actors["hr"], org.province)
    assert can_view_department(actors["leader"], org.qc_bureau)
    assert not can_manage_department(actors["leader"], org.qc_bureau)
    assert scope_paths(actors["admin"]) is None
    assert scope_paths(actors["learner"]) == []


def test_scoped_role_without_department_grants_nothing(world):
    org = world["org"]
    broken = make_user(org.qc_division, employee_no="B0001", roles=[("hr", None)])
    assert not can_manage_department(broken, org.qc_division)
