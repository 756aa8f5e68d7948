"""Excel exports of the HR workspace: the filtered roster and the annual 学时 compliance list (everyone below their
rank's target). Scoped exactly like the roster, streamed row by row into a write-only workbook on disk (100,000
officials never sit in memory at once), each one audited with its filters and row count.

The sheet opens with a title, the department path (e.g. 东江省人民政府 / 清川市人民政府), the generated time in
Beijing time (UTC+8) and the filters used, then a header row and one row per official.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from training.certification.constants import STATUS_LABELS, Status
from training.certification.models import Program
from training.certification.permissions import can_use_hr_workspace
from training.certification.services.roster import (
    ProgramStanding,
    RosterFilter,
    RosterRow,
    compliance_rows,
    path_names,
    programmes_in,
    require_usable_program,
    roster_rows,
)
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.errors import PermissionDenied, ValidationFailed
from training.core.spreadsheets import row_values
from training.extensions import db
from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import scope_paths
from training.org.services.users import find_department_for_actor

BEIJING = timedelta(hours=8)  # China Standard Time, no daylight saving
SORT_LABELS = {"department": _l("部门"), "name": _l("姓名"), "employee_no": _l("工号"), "hours": _l("学时（少到多）"),
               "-hours": _l("学时（多到少）"), "last_login": _l("最近登录")}


def beijing(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A naive UTC time as Beijing time text ('' for None)."""
    return (moment + BEIJING).strftime(pattern) if moment is not None else ""


def scope_label(actor: User, department: Department | None) -> tuple[str, int | None]:
    """The department path the export covers (the chosen sub-department, else the actor's scope roots; admins
    without a choice: the whole organisation) and the department id the audit event names."""
    if department is not None:
        paths, object_id = [department.path], department.id
    else:
        paths = scope_paths(actor, Role.HR)
        if paths is None:
            return _("全部单位"), None
        roots = [grant.department_id for grant in actor.grants if grant.role == Role.HR and grant.department_id]
        object_id = roots[0] if len(roots) == 1 else None
    names = path_names(paths)
    labels = [" / ".join(names.get(int(part), "") for part in path.strip("/").split("/")) for path in paths]
    return "；".join(labels), object_id


def describe_filter(flt: RosterFilter) -> str:
    """The roster filters in words, for the sheet's title rows ('无' when none)."""
    parts = []
    if flt.rank:
        parts.append(_("职级：%(rank)s", rank=flt.rank))
    if flt.program_id:
        program = db.session.get(Program, flt.program_id)
        parts.append(_("项目：%(name)s", name=program.name if program else flt.program_id))
    if flt.status:
        parts.append(_("状态：%(status)s", status=STATUS_LABELS[Status(flt.status)]))
    if flt.expiring_within_days is not None:
        parts.append(_("证书 %(n)d 天内到期", n=flt.expiring_within_days))
    if flt.overdue:
        parts.append(_("逾期未完成"))
    if flt.below_target:
        parts.append(_("低于年度学时目标"))
    if flt.q:
        parts.append(_("姓名或工号以“%(q)s”开头", q=flt.q))
    parts.append(_("排序：%(sort)s", sort=SORT_LABELS[flt.sort]))
    return "；".join(parts)


def standing_formatter() -> Callable[[ProgramStanding | None], str]:
    """A programme cell's text: the status label, with the percent while open or the expiry date while held.
    Labels are translated once per export, not once per cell."""
    labels = {str(status): str(label) for status, label in STATUS_LABELS.items()}
    held = _("%(status)s（%(date)s 到期）")  # formatted below, per cell
    with_percent = {Status.IN_PROGRESS, Status.AWAITING_EXAM, Status.OVERDUE}

    def text(standing: ProgramStanding | None) -> str:
        if standing is None:
            return ""
        label = labels.get(standing.status, standing.status)
        if standing.held and standing.expires_at is not None:
            return held % {"status": label, "date": beijing(standing.expires_at, "%Y-%m-%d")}
        return f"{label} {standing.percent}%" if standing.status in with_percent else label

    return text


def _bold(sheet, values: Iterable) -> list[WriteOnlyCell]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def write_workbook(title: str, head: list[str], programmes: list[tuple[int, str]], year: int,
                   rows: Iterable[RosterRow]) -> tuple[Path, int]:
    """Stream ``rows`` into a write-only workbook in a temporary file; (its path, the number of rows)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for letter, width in zip("ABCDEFGHIJKLMNOP", (12, 10, 40, 14, *([22] * len(programmes)), 10, 8, 8, 18),
                             strict=False):
        sheet.column_dimensions[letter].width = width
    sheet.append(_bold(sheet, [title]))
    for line in head:
        sheet.append(row_values([line]))
    sheet.append([])
    sheet.append(_bold(sheet, [_("工号"), _("姓名"), _("部门"), _("职级"), *(name for _id, name in programmes),
                               _("%(year)d 年学时", year=year), _("目标"), _("差额"), _("最近活动（北京时间）")]))
    count, standing_text = 0, standing_formatter()
    for row in rows:
        by_programme = {standing.program_id: standing for standing in row.programs}
        sheet.append(row_values([row.employee_no, row.name, " / ".join(row.department_path), row.rank,
                                 *(standing_text(by_programme.get(program_id)) for program_id, _name in programmes),
                                 row.hours, row.target, row.shortfall, beijing(row.last_activity)]))
        count += 1
    handle = tempfile.NamedTemporaryFile(prefix="egov-export-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    book.save(handle.name)
    return Path(handle.name), count


def _require_workspace(actor: User) -> None:
    if not can_use_hr_workspace(actor):
        raise PermissionDenied(_("只有组织人事部门和管理员可以导出"))


def export_roster_xlsx(actor: User, flt: RosterFilter, *, now: datetime | None = None) -> tuple[str, Path]:
    """The filtered roster (every page) as .xlsx: (download name, path of a temporary file the caller removes).
    Audited as ``roster.export`` with the filters and the row count; commits."""
    _require_workspace(actor)
    now, flt = now or utcnow(), flt.normalised()
    department = find_department_for_actor(actor, flt.department_id or None)
    require_usable_program(actor, flt.program_id)
    label, object_id = scope_label(actor, department)
    programmes = programmes_in(actor, flt, now=now)
    head = [_("部门：%(path)s", path=label),
            _("生成时间：%(at)s（北京时间，UTC+8）", at=beijing(now)),
            _("筛选条件：%(filters)s", filters=describe_filter(flt))]
    path, count = write_workbook(_("人员认证花名册"), head, programmes, now.year, roster_rows(actor, flt, now=now))
    record_audit(actor.id, "roster.export", "department", object_id, rows=count, filters=flt.described())
    db.session.commit()
    return _("人员认证花名册_%(at)s.xlsx", at=beijing(now, "%Y%m%d-%H%M")), path


def export_compliance_xlsx(actor: User, year: int, department_id: int | None = None, *,
                           now: datetime | None = None) -> tuple[str, Path]:
    """Everyone in scope below their rank's annual 学时 target in ``year`` as .xlsx: (download name, temporary
    file path). Audited as ``hours.compliance_export``; commits."""
    _require_workspace(actor)
    now = now or utcnow()
    if not 2000 <= year <= now.year + 1:
        raise ValidationFailed(_("年度无效"))
    department = find_department_for_actor(actor, department_id or None)
    label, object_id = scope_label(actor, department)
    flt = RosterFilter(department_id=department_id or None, below_target=True)
    programmes = programmes_in(actor, flt, year=year, now=now)
    head = [_("部门：%(path)s", path=label),
            _("生成时间：%(at)s（北京时间，UTC+8）", at=beijing(now)),
            _("筛选条件：%(year)d 年度学时低于职级年度目标", year=year)]
    rows = compliance_rows(actor, year, department_id or None, now=now)
    path, count = write_workbook(_("%(year)d 年度学时未达标人员", year=year), head, programmes, year, rows)
    record_audit(actor.id, "hours.compliance_export", "department", object_id, rows=count,
                 filters={"year": year, "department_id": department_id or None})
    db.session.commit()
    return _("学时未达标人员_%(year)d_%(at)s.xlsx", year=year, at=beijing(now, "%Y%m%d-%H%M")), path
