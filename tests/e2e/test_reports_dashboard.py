"""The demo leader (陈志远, leader of 清川市) opens the reports in a real browser: the dashboard of their city with
its charts drawn by ECharts (no console or CSP error), drills into a sub-department and back up through the
breadcrumb (the province above their scope is text, not a link), opens a person's profile with its radar charts
and downloads the Excel export."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from training.core.clock import utcnow
from training.org.demo import DEMO_PASSWORD
from training.reports.services.snapshots import take_snapshot

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

CHARTS = ("chart-modules", "chart-competencies", "chart-heatmap", "chart-trend")


@pytest.fixture
def demo_reports(app, app_ctx):
    """The whole demo (`flask demo load`: organisation, courseware progress, exams with their history,
    programmes) and monthly snapshots of the last three months, for a trend."""
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    now = utcnow()
    for back in (2, 1, 0):
        year, month = divmod(now.year * 12 + now.month - 1 - back, 12)
        take_snapshot(f"{year:04d}-{month + 1:02d}", now=now)


def expect_charts_drawn(page, ids=CHARTS):
    for chart_id in ids:
        expect(page.locator(f"#{chart_id} canvas").first).to_be_visible()


def test_demo_leader_reads_drills_down_and_exports(page, live_server, demo_reports, browser_errors, tmp_path):
    page.goto(f"{live_server}/login")
    page.get_by_label("账号（工号）").fill("leader")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/")

    page.locator("nav.main-nav").get_by_role("link", name="部门报表").click()
    page.wait_for_url(f"{live_server}/reports/departments/QC")
    expect(page.locator("h1")).to_contain_text("清川市人民政府")
    expect_charts_drawn(page)
    expect(page.locator("[data-figure=headcount]")).not_to_have_text("—")
    page.locator("#chart-modules").hover()  # a tooltip, drawn on the canvas (no inline style for the CSP)
    page.locator("#chart-heatmap").hover()
    crumbs = page.locator("nav.breadcrumbs")
    expect(crumbs).to_contain_text("东江省人民政府")
    expect(crumbs.get_by_role("link", name="东江省人民政府")).to_have_count(0)  # above the leader's scope

    page.locator("#children-table").get_by_role("link", name="清川市人力资源和社会保障局").click()
    page.wait_for_url(f"{live_server}/reports/departments/QC-RS?months=12")
    expect(page.locator("h1")).to_contain_text("清川市人力资源和社会保障局")
    expect_charts_drawn(page, ("chart-modules", "chart-competencies"))
    crumbs.get_by_role("link", name="清川市人民政府").click()
    page.wait_for_url(f"{live_server}/reports/departments/QC?months=12")
    expect_charts_drawn(page)

    page.get_by_label("个人能力画像").fill("learner")
    page.locator(".person-search").get_by_role("button", name="查看").click()
    expect(page.locator("h1")).to_contain_text("李明轩")
    expect_charts_drawn(page, ("chart-person-modules",))
    page.go_back()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename.startswith("清川市人民政府") and download.suggested_filename.endswith(".xlsx")
    target = tmp_path / "report.xlsx"
    download.save_as(target)
    book = load_workbook(target)
    assert "模块掌握度" in book.sheetnames and book["总览"]["A2"].value == "部门：东江省人民政府 / 清川市人民政府"
    assert browser_errors == []
