"""Exports of a department's dashboard: an Excel workbook (one sheet per table) and an A4 PDF report with the
same tables and its charts drawn by reportlab (bar chart of module mastery, lines of the monthly trend). Both are
scoped exactly like the dashboard (``department_report`` raises ``NotFound`` out of scope), carry the department
path and the generation time in Beijing time (UTC+8) on every sheet / on the first page, and are audited as
``report.export``.

Suppressed figures (groups under ``MIN_GROUP`` people) and figures without data are written as "—"."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from training.certification.services.exports import beijing
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.spreadsheets import row_values
from training.extensions import db
from training.org.models import User
from training.reports.report_types import BAND_LABELS, MIN_GROUP, DepartmentReport, Figures, Mastery
from training.reports.services.figures import department_report
from training.reports.services.snapshots import certified_rate

DASH = "—"
FONT = "STSong-Light"  # a CID font every PDF reader carries: no font file ships with the app
WIDTH = A4[0] - 30 * mm  # the PDF's text width (points)
PALETTE = [HexColor(c) for c in ("#1f5fa8", "#b22222", "#1a7f37", "#9a6700", "#6f42c1")]
BAND_COLORS = {"excellent": HexColor("#1a7f37"), "good": HexColor("#1f5fa8"), "pass": HexColor("#d4a017"),
               "below": HexColor("#c62828")}
STYLES = {"title": ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=4),
          "h2": ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4,
                               textColor=HexColor("#8b1a1a")),
          "body": ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13),
          "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, wordWrap="CJK"),
          "figure": ParagraphStyle("figure", fontName=FONT, fontSize=8, leading=10, alignment=TA_RIGHT)}
#: The trend table's columns: the keys of a monthly snapshot (the first six also make the sub-departments table).
TREND_KEYS = ("headcount", "completion_rate", "hours_avg", "hours_at_target_rate", "exam_participation_rate",
              "exam_pass_rate", "certified_rate")
#: The trend's lines (rates in % kept in each monthly snapshot), on the page and in the PDF.
TREND_SERIES = (("completion_rate", _l("必修课完成率")), ("hours_at_target_rate", _l("学时达标率")),
                ("exam_participation_rate", _l("考试参与率")), ("exam_pass_rate", _l("考试通过率")),
                ("certified_rate", _l("持证率")))


@dataclass(frozen=True)
class ReportTable:
    """One table of the report: a sheet of the workbook, a table of the PDF. Cells are numbers, text or None
    (no figure: written as "—")."""

    key: str  # 'overview', 'children', 'heatmap', 'modules', 'competencies', 'certification', 'trend'
    name: str  # sheet name (≤ 31 characters)
    title: str
    head: list[str]
    rows: list[list]


def rounded(value: object) -> object:
    """Rates, masteries and 学时 to one decimal, as the page and the API show them; other values unchanged."""
    return round(value, 1) if isinstance(value, float) else value


def path_text(report: DepartmentReport) -> str:
    """The department's path from the organisation's root, e.g. 东江省人民政府 / 清川市人民政府."""
    names = [ref.name for ref in report.trail if ref.id != report.department.id]
    return " / ".join([*names, report.department.name])


def mastery_label(mastery: Mastery) -> str:
    """A module as 'M3 政府职能转变与行政审批改革'; a competency by its name."""
    return mastery.title if mastery.code == mastery.title else f"{mastery.code} {mastery.title}"


def band_text(band: str | None) -> str | None:
    return str(BAND_LABELS[band]) if band else None


def _figure_rows(figures: list[Figures]) -> list[list]:
    """The key figures as rows (label, then one column per group)."""
    def rate(fig: Figures) -> float | None:
        return None if fig.suppressed else certified_rate(fig.certification)

    lines = ((_("人数"), lambda f: f.headcount), (_("必修课选课人次"), lambda f: f.required_enrolments),
             (_("必修课完成率（%）"), lambda f: f.completion_rate), (_("本年人均学时"), lambda f: f.hours_avg),
             (_("学时达标率（%）"), lambda f: f.hours_at_target_rate),
             (_("考试参加人数"), lambda f: f.exam_participants),
             (_("考试参与率（%）"), lambda f: f.exam_participation_rate),
             (_("考试通过率（%）"), lambda f: f.exam_pass_rate), (_("持证率（%）"), rate))
    return [[label, *(value(fig) for fig in figures)] for label, value in lines]


def comparison_groups(report: DepartmentReport) -> list[tuple[str, Figures]]:
    """(column label, figures) of the department, its parent and the whole organisation (each once)."""
    groups = [(report.department.name, report.figures)]
    seen = {report.department.id}
    for label, pair in ((_("上级：%(name)s"), report.parent), (_("全部单位：%(name)s"), report.organisation)):
        if pair is not None and pair[0].id not in seen:
            groups.append((label % {"name": pair[0].name}, pair[1]))
            seen.add(pair[0].id)
    return groups


def _mastery_rows(items: list[Mastery]) -> list[list]:
    return [[mastery_label(m), m.mastery, band_text(m.band), m.responses] for m in items]


def _module_cells(fig: Figures, codes: list[str]) -> list[float | None]:
    by_code = {m.code: m.mastery for m in fig.modules}
    return [by_code.get(code) for code in codes]


def report_tables(report: DepartmentReport) -> list[ReportTable]:
    """Every table of the dashboard, in page order, figures rounded to one decimal."""
    groups = comparison_groups(report)
    codes = [module.code for module in report.figures.modules]
    mastery_head = [_("掌握度（%）"), _("等级"), _("作答数")]
    rates = [_("必修课完成率（%）"), _("本年人均学时"), _("学时达标率（%）"), _("考试参与率（%）"),
             _("考试通过率（%）")]
    tables = [
        ReportTable("overview", _("总览"), _("主要指标（与上级、全部单位比较）"),
                    [_("指标"), *(label for label, _f in groups)], _figure_rows([fig for _label, fig in groups])),
        ReportTable("children", _("下级部门"), _("下级部门"), [_("部门"), _("人数"), *rates],
                    [[ref.name, *(getattr(fig, key) for key in TREND_KEYS[:6])] for ref, fig in report.children]),
        ReportTable("heatmap", _("下级部门模块掌握度"), _("下级部门 × 模块掌握度（%）"), [_("部门"), *codes],
                    [[ref.name, *_module_cells(fig, codes)] for ref, fig in report.children]),
        ReportTable("modules", _("模块掌握度"), _("各模块掌握度"), [_("模块"), *mastery_head],
                    _mastery_rows(report.figures.modules)),
        ReportTable("competencies", _("通用能力"), _("通用能力掌握度"), [_("能力"), *mastery_head],
                    _mastery_rows(report.figures.competencies)),
        ReportTable("certification", _("认证覆盖"), _("认证覆盖"),
                    [_("项目"), _("分配人数"), _("持证率（%）"), _("90 天内到期"), _("已过期"), _("逾期未完成")],
                    [[p.name, p.assigned, p.certified_rate, p.expiring_90, p.expired, p.overdue]
                     for p in report.figures.certification]),
        ReportTable("trend", _("月度趋势"), _("月度趋势"), [_("月份"), _("人数"), *rates, _("持证率（%）")],
                    [[point.month, *(point.figures.get(key) for key in TREND_KEYS)] for point in report.trend]),
    ]
    return [ReportTable(t.key, t.name, t.title, t.head, [[rounded(value) for value in row] for row in t.rows])
            for t in tables]


def report_head(report: DepartmentReport, now: datetime) -> list[str]:
    """The lines above every sheet and on the PDF's first page: department path, generation time, window."""
    lines = [_("部门：%(path)s", path=path_text(report)),
             _("生成时间：%(at)s（北京时间，UTC+8）", at=beijing(now)),
             _("统计期：近 %(n)d 个月的考试作答；学时为本年度", n=report.months)]
    if report.figures.suppressed:
        lines.append(_("人数少于 %(n)d 人，为保护个人信息不予显示", n=MIN_GROUP))
    return lines


def _audited_report(viewer: User, code: str, months: int, fmt: str, now: datetime | None) -> DepartmentReport:
    report = department_report(viewer, code, months=months, now=now)
    record_audit(viewer.id, "report.export", "department", report.department.id, format=fmt, months=months)
    return report


def workbook_bytes(report: DepartmentReport, now: datetime) -> bytes:
    """The report as .xlsx: one sheet per table, each opening with the title, the head lines, then the table."""
    book = Workbook()
    book.remove(book.active)
    head = report_head(report, now)
    for table in report_tables(report):
        sheet = book.create_sheet(table.name[:31])
        sheet.append(row_values([f"{report.department.name} · {table.title}"]))
        sheet["A1"].font = Font(bold=True, size=13)
        for line in head:
            sheet.append(row_values([line]))
        sheet.append([])
        sheet.append(table.head)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row_values(DASH if value is None else value for value in row))
        if not table.rows:
            sheet.append([_("无数据")])
        sheet.column_dimensions["A"].width = 32
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _filename(report: DepartmentReport, now: datetime, suffix: str) -> str:
    return _("%(name)s培训与能力报告_%(at)s.%(suffix)s", name=report.department.name,
             at=beijing(now, "%Y%m%d-%H%M"), suffix=suffix)


def department_xlsx(viewer: User, code: str, *, months: int = 12, now: datetime | None = None) -> tuple[str, bytes]:
    """The dashboard of department ``code`` as an Excel workbook: (download name, bytes). Same scope as the page
    (``NotFound`` outside it, ``PermissionDenied`` without the reports area); audited; commits."""
    now = now or utcnow()
    report = _audited_report(viewer, code, months, "xlsx", now)
    data = workbook_bytes(report, now)
    db.session.commit()
    return _filename(report, now, "xlsx"), data


def department_pdf(viewer: User, code: str, *, months: int = 12, now: datetime | None = None) -> tuple[str, bytes]:
    """The dashboard of department ``code`` as an A4 PDF report with its charts: (download name, bytes). Same
    scope as the page; audited; commits."""
    now = now or utcnow()
    report = _audited_report(viewer, code, months, "pdf", now)
    data = report_pdf(report, report_tables(report), report_head(report, now))
    db.session.commit()
    return _filename(report, now, "pdf"), data


pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _cell(value: object) -> str:
    if value is None:
        return DASH
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _pdf_table(table: ReportTable) -> Flowable:
    """A table that fits the A4 text width: the first column wide, the figures evenly after it."""
    if not table.rows:
        return Paragraph(escape(_("无数据")), STYLES["body"])
    columns = len(table.head)
    first = min(55 * mm, WIDTH / 2) if columns > 2 else WIDTH / 2
    widths = [first, *([(WIDTH - first) / (columns - 1)] * (columns - 1))]
    cell, figure = STYLES["cell"], STYLES["figure"]
    data = [[Paragraph(escape(str(text)), cell) for text in table.head]]
    data += [[Paragraph(escape(_cell(value)), cell if column == 0 else figure) for column, value in enumerate(row)]
             for row in table.rows]
    flowable = Table(data, colWidths=widths, repeatRows=1)
    flowable.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, HexColor("#d7dce2")),
        ("BACKGROUND", (0, 0), (-1, 0), HexColor("#f0f2f5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    flowable.hAlign = "LEFT"
    return flowable


def module_bar_chart(modules: list[Mastery]) -> Drawing:
    """Mastery (%) per syllabus module as vertical bars, labelled with the figure (no bar without one)."""
    drawing = Drawing(WIDTH, 62 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 8 * mm, WIDTH - 16 * mm, 48 * mm
    chart.data = [[module.mastery for module in modules]]
    chart.categoryAxis.categoryNames = [module.code for module in modules]
    chart.categoryAxis.labels.fontName = FONT
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = FONT
    chart.bars.strokeColor = None
    for index, module in enumerate(modules):  # each bar in its band's colour, as on the page
        chart.bars[(0, index)].fillColor = BAND_COLORS.get(module.band, PALETTE[0])
    chart.barLabelFormat = "%.1f"
    chart.barLabels.fontName, chart.barLabels.fontSize, chart.barLabels.nudge = FONT, 7, 6
    drawing.add(chart)
    return drawing


def trend_line_chart(report: DepartmentReport) -> Drawing:
    """The trend's rates (%) per month as lines with a legend; gaps where a month has no figure."""
    drawing = Drawing(WIDTH, 78 * mm)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 26 * mm, WIDTH - 16 * mm, 48 * mm
    chart.data = [[point.figures.get(key) for point in report.trend] for key, _label in TREND_SERIES]
    chart.categoryAxis.categoryNames = [point.month for point in report.trend]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 7
    chart.categoryAxis.labels.angle, chart.categoryAxis.labels.boxAnchor = 30, "ne"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = FONT
    legend = Legend()
    legend.x, legend.y, legend.fontName, legend.fontSize = 12 * mm, 6 * mm, FONT, 8
    legend.alignment, legend.columnMaximum, legend.dx, legend.dy = "right", 1, 8, 8
    legend.colorNamePairs = []
    chart.joinedLines = 0  # per series below: a line needs two points (one month draws dots only)
    for index, (_key, label) in enumerate(TREND_SERIES):
        color = PALETTE[index % len(PALETTE)]
        if sum(value is not None for value in chart.data[index]) >= 2:
            chart.lines[index].lineStyle = "joinedLine"
        chart.lines[index].strokeColor = color
        chart.lines[index].symbol = makeMarker("FilledCircle", size=3, fillColor=color, strokeColor=color)
        legend.colorNamePairs.append((color, str(label)))
    drawing.add(chart)
    drawing.add(legend)
    return drawing


def report_pdf(report: DepartmentReport, tables: list[ReportTable], head: list[str]) -> bytes:
    """The report on A4 pages: title and head lines, then each table under its heading, the module bar chart
    before the modules table and the trend chart before the trend table; page numbers at the foot."""
    body, h2 = STYLES["body"], STYLES["h2"]
    story: list[Flowable] = [Paragraph(escape(_("%(name)s培训与能力报告", name=report.department.name)),
                                       STYLES["title"])]
    story += [Paragraph(escape(line), body) for line in head]
    charts = {"modules": module_bar_chart(report.figures.modules) if report.figures.modules else None,
              "trend": trend_line_chart(report) if report.trend else None}
    for table in tables:
        heading = Paragraph(escape(table.title), h2)
        chart = charts.get(table.key)
        story += [KeepTogether([heading, chart]) if chart is not None else heading, _pdf_table(table),
                  Spacer(1, 2 * mm)]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                 bottomMargin=15 * mm, title=_("%(name)s培训与能力报告", name=report.department.name),
                                 author=_("电子政务学院"))
    document.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()


def _page_number(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, _("第 %(n)d 页", n=document.page))
    canvas.restoreState()
