"""Exports of the dashboard: the workbook has one sheet per table, each with the department path and the generation
time (Beijing) on top, and the service's figures; the PDF's text holds the department, its path and the modules,
its charts are drawn; both are audited and served with the page's scope rules."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import login_as
from tests.reports.test_dashboard_pages import build_world
from training.core.audit import AuditEvent
from training.core.clock import utcnow
from training.extensions import db
from training.reports.models import ReportSnapshot
from training.reports.report_types import BAND_LABELS
from training.reports.services.exports import department_pdf, department_xlsx
from training.reports.services.figures import department_report
from training.reports.services.snapshots import month_of, take_snapshot

SHEETS = ["总览", "下级部门", "下级部门模块掌握度", "模块掌握度", "通用能力", "认证覆盖", "月度趋势"]
PATH = "部门：东江省人民政府 / 清川市人民政府"


@pytest.fixture
def world(org):
    built = build_world(org)
    take_snapshot(month_of(utcnow()))  # one month of trend
    return built


def r1(value):
    return "—" if value is None else round(value, 1)


def band(name):
    return str(BAND_LABELS[name]) if name else "—"


def table(sheet) -> list[list]:
    """The rows under the header row (the row after the first blank one)."""
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(n for n, row in enumerate(rows) if not any(row)) + 1
    return [row[:len([c for c in rows[header] if c is not None])] for row in rows[header + 1:]]


def test_workbook_has_a_sheet_per_table_with_path_time_and_the_service_figures(org, world):
    now = utcnow().replace(microsecond=0)
    name, data = department_xlsx(world.leader, "QC", months=12, now=now)
    report = department_report(world.leader, "QC", months=12, now=now)
    assert name.startswith("清川市人民政府") and name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == SHEETS
    stamp = (now + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    for sheet in book.worksheets:
        assert sheet["A1"].value.startswith("清川市人民政府")
        assert sheet["A2"].value == PATH
        assert sheet["A3"].value == f"生成时间：{stamp}（北京时间，UTC+8）"
    fig = report.figures
    overview = {row[0]: row[1:] for row in table(book["总览"])}
    assert overview["人数"][0] == fig.headcount == 15
    assert overview["必修课完成率（%）"][0] == r1(fig.completion_rate) == 60.0
    assert overview["考试参与率（%）"][0] == r1(fig.exam_participation_rate)
    assert overview["考试通过率（%）"][0] == r1(fig.exam_pass_rate)
    # the province is both the parent and the whole organisation: one column for it
    assert overview["本年人均学时"] == [r1(fig.hours_avg), r1(report.parent[1].hours_avg)]
    assert report.parent[0].id == report.organisation[0].id
    assert table(book["模块掌握度"]) == [[f"{m.code} {m.title}", r1(m.mastery), band(m.band), m.responses]
                                        for m in fig.modules]
    assert table(book["通用能力"]) == [[m.title, r1(m.mastery), band(m.band), m.responses] for m in fig.competencies]
    assert [row[1] for row in table(book["模块掌握度"])].count("—") == len(fig.modules) - 3  # M1, M3, M7
    children = table(book["下级部门"])
    assert [row[:2] for row in children] == [[ref.name, f.headcount] for ref, f in report.children]
    assert children[0][2:] == [r1(report.children[0][1].completion_rate), r1(report.children[0][1].hours_avg),
                               r1(report.children[0][1].hours_at_target_rate),
                               r1(report.children[0][1].exam_participation_rate),
                               r1(report.children[0][1].exam_pass_rate)]
    heat = table(book["下级部门模块掌握度"])
    assert heat[0] == ["清川市人社局", *(r1(m.mastery) for m in report.children[0][1].modules)]
    trend = table(book["月度趋势"])
    assert trend == [[month_of(now), 15, r1(fig.completion_rate), r1(fig.hours_avg), r1(fig.hours_at_target_rate),
                      r1(fig.exam_participation_rate), r1(fig.exam_pass_rate), "—"]]


def test_a_suppressed_department_exports_dashes_and_the_note(org, world):
    _name, data = department_xlsx(world.leader, "QC-RS-01", months=12)
    book = load_workbook(io.BytesIO(data))
    sheet = book["总览"]
    assert sheet["A2"].value == PATH + " / 清川市人社局 / 公务员管理科"
    assert sheet["A5"].value == "人数少于 5 人，为保护个人信息不予显示"
    overview = {row[0]: row[1] for row in table(sheet)}
    assert overview["人数"] == 3 and overview["必修课完成率（%）"] == "—" and overview["考试通过率（%）"] == "—"


def test_pdf_holds_the_department_its_modules_and_drawn_charts(org, world):
    name, data = department_pdf(world.leader, "QC", months=12)
    assert name.endswith(".pdf") and data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    for words in ("清川市人民政府培训与能力报告", "东江省人民政府 / 清川市人民政府", "北京时间", "模块M1", "模块M3",
                  "模块M7", "清川市人社局", "清川市政务服务管理局", "月度趋势", "学习能力"):
        assert words in text, words
    report = department_report(world.leader, "QC", months=12)
    m1 = next(m for m in report.figures.modules if m.code == "M1")
    assert f"{m1.mastery:.1f}" in text  # a bar label of the module chart and its table
    assert "必修课完成率" in text and "考试通过率" in text  # the trend chart's legend
    assert reader.pages[0].mediabox.width == pytest.approx(595.27, abs=0.1)  # A4


def exports_audited(actor_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.export",
                                                           AuditEvent.actor_id == actor_id)))


@pytest.mark.parametrize(("suffix", "mimetype"), [
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("pdf", "application/pdf")])
def test_exports_download_and_are_audited(client, org, world, suffix, mimetype):
    login_as(client, world.leader)
    response = client.get(f"/reports/departments/QC/export.{suffix}?months=6")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert "attachment" in response.headers["Content-Disposition"]
    db.session.expire_all()
    events = exports_audited(world.leader.id)
    assert len(events) == 1
    assert events[0].object_type == "department" and events[0].object_id == str(org.qc.id)
    assert events[0].detail == {"format": suffix, "months": 6}


@pytest.mark.parametrize("suffix", ["xlsx", "pdf"])
def test_an_export_out_of_scope_is_refused_and_not_audited(client, org, world, suffix):
    login_as(client, world.leader)
    assert client.get(f"/reports/departments/YL/export.{suffix}").status_code == 404
    login_as(client, world.learner)
    assert client.get(f"/reports/departments/QC-RS-01/export.{suffix}").status_code == 403
    db.session.expire_all()
    assert exports_audited(world.leader.id) == [] and exports_audited(world.learner.id) == []


def test_snapshot_rows_feed_the_trend_sheet_only_for_their_department(org, world):
    assert db.session.scalar(select(ReportSnapshot.id).where(ReportSnapshot.department_id == org.qc.id))
    _name, data = department_xlsx(world.leader, "QC-ZW", months=12)
    trend = table(load_workbook(io.BytesIO(data))["月度趋势"])
    assert [row[:2] for row in trend] == [[month_of(utcnow()), 5]]
