"""The department tree: materialised paths, moving a subtree, audit."""

from __future__ import annotations

import pytest

from tests.conftest import login_as
from tests.factories import make_department
from training.core.audit import AuditEvent
from training.core.errors import Conflict, ValidationFailed
from training.extensions import db
from training.org.models import Department, User
from training.org.services import departments


def test_paths_and_subtree_query(app_ctx, org):
    assert org.qc_division.path == f"/{org.province.id}/{org.qc.id}/{org.qc_bureau.id}/{org.qc_division.id}/"
    assert org.qc_division.depth == 3
    codes = {d.code for d in db.session.scalars(org.qc.subtree_select())}
    assert codes == {"QC", "QC-RS", "QC-RS-01"}


def test_move_subtree_rewrites_paths_and_depths(app_ctx, org, admin):
    deep = make_department("QC-RS-01-A", "一组", org.qc_division, kind="division")
    departments.update_department(admin, org.qc_bureau, code="QC-RS", name="清川市人社局", kind="bureau",
                                  parent=org.yl, is_active=True)
    db.session.expire_all()
    moved = {d.code: d for d in db.session.scalars(db.select(Department))}
    assert moved["QC-RS"].parent_id == org.yl.id
    assert moved["QC-RS"].path == f"/{org.province.id}/{org.yl.id}/{org.qc_bureau.id}/"
    assert moved["QC-RS-01-A"].path == f"{moved['QC-RS'].path}{org.qc_division.id}/{deep.id}/"
    assert moved["QC-RS-01-A"].depth == 4 and moved["QC-RS"].depth == 2
    assert {d.code for d in db.session.scalars(moved["YL"].subtree_select())} >= {"QC-RS", "QC-RS-01-A"}
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "department.update"))
    assert event.detail["changes"]["parent"] == ["QC", "YL"]


def test_move_to_top_level(app_ctx, org, admin):
    departments.update_department(admin, org.qc, code="QC", name="清川市", kind="city", parent=None, is_active=True)
    db.session.expire_all()
    expected = f"/{org.qc.id}/{org.qc_bureau.id}/{org.qc_division.id}/"
    assert db.session.get(Department, org.qc_division.id).path == expected


def test_cannot_move_under_own_descendant(app_ctx, org, admin):
    with pytest.raises(ValidationFailed):
        departments.update_department(admin, org.qc, code="QC", name="清川市", kind="city", parent=org.qc_division,
                                      is_active=True)


def test_codes_are_unique(app_ctx, org, admin):
    with pytest.raises(Conflict):
        departments.create_department(admin, "QC", "重复", "bureau", org.province)


def test_admin_creates_department_in_the_ui(client, admin, org):
    login_as(client, admin)
    response = client.post("/admin/departments/new", data={"code": "QC-FG", "name": "清川市发改委", "kind": "bureau",
                                                           "parent_id": org.qc.id})
    assert response.status_code == 302
    created = db.session.scalar(db.select(Department).where(Department.code == "QC-FG"))
    assert created.path == f"{org.qc.path}{created.id}/"
    assert "清川市发改委" in client.get("/admin/departments").text


def test_first_deployment_from_the_shell(app, app_ctx):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["org", "add-department", "GOV", "某省人民政府", "--kind", "province"]).exit_code == 0
    assert runner.invoke(args=["org", "add-department", "GOV-IT", "大数据局", "--parent", "GOV"]).exit_code == 0
    result = runner.invoke(args=["org", "create-admin", "--employee-no", "root", "--name", "管理员",
                                 "--department", "GOV-IT"], input="a-long-admin-password\na-long-admin-password\n")
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(db.select(User).where(User.employee_no == "root"))
    assert admin.has_role("admin") and admin.check_password("a-long-admin-password")
    assert admin.department.path.count("/") == 3
