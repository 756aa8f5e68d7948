"""The HR workspace: the roster of the officer's scope (filters, sort, pagination, exports), one official's record
and its printable 学习档案 / 学时证明. Admins and HR officers only (403); people and departments outside the
officer's scope are 404."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from training.certification.constants import STATUS_BADGES, STATUS_LABELS
from training.certification.permissions import can_use_hr_workspace
from training.certification.services import exports, person, roster
from training.certification.services.assignments import programs_for
from training.core.clock import utcnow
from training.org.constants import RANK_NAMES
from training.org.views.paging import page_arg

hr_bp = Blueprint("hr", __name__, url_prefix="/hr", template_folder="../templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Sortable columns: the sort a header link asks for (学时 toggles between most and fewest first).
SORT_TOGGLES = {"employee_no": ("employee_no", "employee_no"), "name": ("name", "name"),
                "department": ("department", "department"), "hours": ("-hours", "hours"),
                "last_login": ("last_login", "last_login")}


class RosterFilterForm(FlaskForm):
    """The roster's filters, read from the query string (GET: no CSRF)."""

    class Meta:
        csrf = False

    department = SelectField(_l("部门"), coerce=int, choices=[], validate_choice=False, validators=[Optional()])
    rank = SelectField(_l("职级"), choices=[], validators=[Optional()])
    status = SelectField(_l("认证状态"), choices=[], validators=[Optional()])
    program = SelectField(_l("认证项目"), coerce=int, choices=[], validate_choice=False, validators=[Optional()])
    expiring = IntegerField(_l("证书到期天数内"), validators=[Optional(), NumberRange(0, 3650)])
    overdue = BooleanField(_l("仅逾期未完成"))
    below_target = BooleanField(_l("仅本年学时未达标"))
    q = StringField(_l("姓名或工号"), validators=[Optional()])
    sort = SelectField(_l("排序"), choices=[(key, key) for key in roster.SORTS], validators=[Optional()])
    per_page = IntegerField(_l("每页人数"), validators=[Optional(), NumberRange(1, roster.MAX_PER_PAGE)])

    def to_filter(self, page: int) -> roster.RosterFilter:
        """The service's filter (invalid fields are left out; their errors show beside them)."""
        self.validate()
        valid = {name for name, field in self._fields.items() if not field.errors}
        value = {name: (self._fields[name].data if name in valid else None) for name in self._fields}
        return roster.RosterFilter(
            department_id=value["department"] or None, rank=value["rank"] or "", status=value["status"] or "",
            program_id=value["program"] or None, expiring_within_days=value["expiring"],
            overdue=bool(value["overdue"]), below_target=bool(value["below_target"]), q=value["q"] or "",
            sort=value["sort"] or "department", page=page, per_page=value["per_page"] or roster.DEFAULT_PER_PAGE)


@hr_bp.before_request
@login_required
def require_hr_workspace():
    """Every page here needs an HR officer with a scope, or an admin; finer checks (scope) happen per object."""
    if not can_use_hr_workspace(current_user):
        abort(403)


def _filter_form() -> RosterFilterForm:
    form = RosterFilterForm(request.args)
    selected = request.args.get("department", 0, type=int) or None
    form.department.choices = [(0, _l("全部")), *roster.department_options(current_user, selected)]
    form.rank.choices = [("", _l("全部")), *((rank, rank) for rank in RANK_NAMES)]
    form.status.choices = [("", _l("全部")), *((str(status), label) for status, label in STATUS_LABELS.items())]
    form.program.choices = [(0, _l("全部")), *((program.id, program.name) for program in programs_for(current_user))]
    return form


def _sort_links(current: str) -> dict[str, str]:
    """Header links: each column's sort (学时 toggles), keeping the other filters, back to page 1."""
    args = {key: value for key, value in request.args.items() if key not in ("sort", "page")}
    links = {}
    for column, (first, second) in SORT_TOGGLES.items():
        links[column] = url_for("hr.roster", **args, sort=second if current == first else first)
    return links


@hr_bp.get("/", endpoint="roster")
def roster_view():
    form = _filter_form()
    page = roster.roster_page(current_user, form.to_filter(page_arg()))
    export_args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template("certification/hr_roster.html", form=form, page=page, status_labels=STATUS_LABELS,
                           status_badges=STATUS_BADGES, sort_links=_sort_links(page.filter.sort),
                           export_args=export_args, year=page.year)


@hr_bp.get("/people/<employee_no>")
def person_view(employee_no: str):
    record = person.person_record(current_user, employee_no)
    return render_template("certification/hr_person.html", record=record, status_labels=STATUS_LABELS,
                           status_badges=STATUS_BADGES)


@hr_bp.get("/people/<employee_no>/record")
def person_print(employee_no: str):
    record = person.person_record(current_user, employee_no)
    return render_template("certification/hr_record_print.html", record=record, status_labels=STATUS_LABELS)


def _send(filename: str, path: Path):
    """Send a temporary export file and remove it (the open handle keeps the data until it is sent)."""
    handle = path.open("rb")
    path.unlink()
    return send_file(handle, mimetype=XLSX, as_attachment=True, download_name=filename)


@hr_bp.get("/export/roster.xlsx")
def export_roster():
    filename, path = exports.export_roster_xlsx(current_user, _filter_form().to_filter(1))
    return _send(filename, path)


@hr_bp.get("/export/compliance.xlsx")
def export_compliance():
    year = request.args.get("year", utcnow().year, type=int) or utcnow().year
    department = request.args.get("department", 0, type=int) or None
    filename, path = exports.export_compliance_xlsx(current_user, year, department)
    return _send(filename, path)
