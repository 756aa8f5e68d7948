"""Excel exports of the roster and of the annual 学时 compliance list: the sheet's department path, generated time
(Beijing) and filters, rows equal to the roster's, scope, audit, and the HTTP endpoints."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests import factories
from tests.certification.test_roster import NOW, build_world
from tests.conftest import login_as
from training.certification.services.exports import export_compliance_xlsx, export_roster_xlsx
from training.certification.services.roster import RosterFilter, roster_page
from training.core.audit import AuditEvent
from training.core.clock import frozen_clock
from training.core.errors import NotFound, PermissionDenied, ValidationFailed
from training.extensions import db

HEADER = ["工号", "姓名", "部门", "职级"]


@pytest.fixture
def world(org, hr_officer):
    return build_world(org)


def read_sheet(source) -> list[list]:
    """Every row of the export's only sheet, as values (trailing empty cells dropped)."""
    book = load_workbook(source if isinstance(source, io.BytesIO) else str(source), read_only=True)
    rows = []
    for row in book.worksheets[0].iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
    return rows


def data_rows(rows: list[list]) -> list[list]:
    start = next(n for n, row in enumerate(rows) if row[:4] == HEADER)
    return rows[start + 1:]


def test_roster_export_has_path_time_filters_and_the_rosters_rows(world, hr_officer):
    flt = RosterFilter(sort="-hours", program_id=world.program_a.id)
    filename, path = export_roster_xlsx(hr_officer, flt, now=NOW)
    rows = read_sheet(path)
    path.unlink()
    assert filename.endswith(".xlsx")
    assert rows[0] == ["人员认证花名册"]
    assert rows[1] == ["部门：东江省人民政府 / 清川市人民政府"]
    assert rows[2] == [f"生成时间：{(NOW + timedelta(hours=8)):%Y-%m-%d %H:%M}（北京时间，UTC+8）"]
    assert "项目：初级认证" in rows[3][0] and "学时（多到少）" in rows[3][0]
    header = next(row for row in rows if row[:4] == HEADER)
    assert header[4:] == ["初级认证", "中级认证", "2026 年学时", "目标", "差额", "最近活动（北京时间）"]
    page = roster_page(hr_officer, flt, now=NOW)
    exported = data_rows(rows)
    assert [row[0] for row in exported] == [row.employee_no for row in page.rows] == ["QC0002", "QC0001", "QC0003"]
    qc2, qc1 = exported[0], exported[1]
    assert qc2[:4] == ["QC0002", "李四", "东江省人民政府 / 清川市人民政府 / 清川市人社局", "四级调研员"]
    assert qc2[4].startswith("逾期未完成") and qc2[6:9] == [100, 110, 10]
    assert qc1[4] == f"即将到期（{(NOW + timedelta(days=30, hours=8)):%Y-%m-%d} 到期）" and qc1[5] == "学习中 40%"
    assert qc1[9] == f"{(NOW - timedelta(days=1) + timedelta(hours=8)):%Y-%m-%d %H:%M}"


def test_exports_are_audited_with_filters_and_row_count(world, org, hr_officer):
    export_roster_xlsx(hr_officer, RosterFilter(department_id=org.qc_division.id, below_target=True),
                       now=NOW)[1].unlink()
    export_compliance_xlsx(hr_officer, NOW.year, now=NOW)[1].unlink()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    roster_event, compliance_event = events[-2], events[-1]
    assert (roster_event.action, roster_event.actor_id, roster_event.object_type, roster_event.object_id) == \
        ("roster.export", hr_officer.id, "department", str(org.qc_division.id))
    assert roster_event.detail == {"rows": 1, "filters": {"department_id": org.qc_division.id, "below_target": True,
                                                          "sort": "department"}}
    assert (compliance_event.action, compliance_event.object_id) == ("hours.compliance_export", str(org.qc.id))
    assert compliance_event.detail == {"rows": 4, "filters": {"year": NOW.year, "department_id": None}}


def test_compliance_export_lists_everyone_below_target(world, hr_officer):
    filename, path = export_compliance_xlsx(hr_officer, NOW.year, now=NOW)
    rows = read_sheet(path)
    path.unlink()
    assert "2026" in filename and rows[0] == ["2026 年度学时未达标人员"]
    assert rows[1] == ["部门：东江省人民政府 / 清川市人民政府"] and "北京时间" in rows[2][0]
    assert [row[0] for row in data_rows(rows)] == ["QC0004", "H0001", "QC0002", "QC0003"]
    assert all(row[-2] > 0 for row in data_rows(rows))  # 差额


def test_admin_export_covers_the_whole_organisation(world, admin):
    _filename, path = export_roster_xlsx(admin, RosterFilter(), now=NOW)
    rows = read_sheet(path)
    path.unlink()
    assert rows[1] == ["部门：全部单位"]
    assert {"Y0001", "P0001", "QC0001"} <= {row[0] for row in data_rows(rows)}


@pytest.mark.parametrize("department", ["yl", "yl_division", "province"])
def test_exports_refuse_departments_outside_the_scope(world, org, hr_officer, department):
    department_id = getattr(org, department).id
    with pytest.raises(NotFound):
        export_roster_xlsx(hr_officer, RosterFilter(department_id=department_id), now=NOW)
    with pytest.raises(NotFound):
        export_compliance_xlsx(hr_officer, NOW.year, department_id, now=NOW)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action.like("%export%"))) is None


def test_learners_cannot_export_and_the_year_is_checked(world, learner, hr_officer):
    with pytest.raises(PermissionDenied):
        export_roster_xlsx(learner, RosterFilter(), now=NOW)
    with pytest.raises(PermissionDenied):
        export_compliance_xlsx(learner, NOW.year, now=NOW)
    with pytest.raises(ValidationFailed):
        export_compliance_xlsx(hr_officer, 1900, now=NOW)


# --- over HTTP ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/hr/export/roster.xlsx", "/hr/export/compliance.xlsx?year=2026"])
def test_http_exports_never_include_the_other_city(world, client, hr_officer, url):
    with frozen_clock(NOW):
        response = login_as(client, hr_officer).get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    numbers = {row[0] for row in data_rows(read_sheet(io.BytesIO(response.data)))}
    assert numbers and all(number.startswith(("QC", "H")) for number in numbers)


@pytest.mark.parametrize("url", ["/hr/export/roster.xlsx?department={id}",
                                 "/hr/export/compliance.xlsx?year=2026&department={id}"])
@pytest.mark.parametrize("department", ["yl", "yl_bureau", "province"])
def test_http_exports_of_another_department_are_not_found(world, org, client, hr_officer, url, department):
    response = login_as(client, hr_officer).get(url.format(id=getattr(org, department).id))
    assert response.status_code == 404


def test_http_roster_export_uses_the_pages_filters(world, org, client, hr_officer):
    with frozen_clock(NOW):
        response = login_as(client, hr_officer).get(f"/hr/export/roster.xlsx?status=overdue&department={org.qc.id}")
    assert [row[0] for row in data_rows(read_sheet(io.BytesIO(response.data)))] == ["QC0002"]


@pytest.mark.parametrize("url", ["/hr/export/roster.xlsx", "/hr/export/compliance.xlsx"])
def test_http_exports_are_forbidden_to_learners(world, client, learner, url):
    assert login_as(client, learner).get(url).status_code == 403


@pytest.mark.parametrize("url", ["/hr/?program={id}", "/hr/export/roster.xlsx?program={id}"])
def test_another_citys_programme_is_not_a_filter(world, org, client, hr_officer, url):
    """Not even the name of a programme owned by another city reaches the page or the sheet's filter row."""
    foreign = factories.make_program("YL-ONLY", name="云岭内部专项", department=org.yl)
    response = login_as(client, hr_officer).get(url.format(id=foreign.id))
    assert response.status_code == 404 and "云岭内部专项" not in response.get_data(as_text=True)
