"""The navigation bar by role (composition root: it names endpoints of every package)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from courseware.permissions import can_configure_study_hours
from question_bank.exams.permissions import can_manage_exams, can_use_console
from question_bank.permissions import can_review_questions, can_use_bank
from training.certification.permissions import can_use_hr_workspace
from training.certification.services.notifications import unread_count
from training.core.clock import utcnow
from training.extensions import SUPPORTED_LOCALES, select_locale
from training.org.constants import DEPARTMENT_KIND_LABELS, ROLE_LABELS
from training.org.permissions import can_use_people_admin, can_view_audit_log, is_admin
from training.reports.permissions import can_use_reports


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    visible: object  # callable(user) -> bool


NAV_ITEMS = (
    NavItem("dashboard.home", _l("首页"), lambda user: True),
    NavItem("courseware.courses", _l("课程中心"), lambda user: True),
    NavItem("courseware.syllabus", _l("培训大纲"), lambda user: True),
    NavItem("courseware.learning_record", _l("学习档案"), lambda user: True),
    NavItem("exams.mine", _l("我的考试"), lambda user: True),
    NavItem("practice.index", _l("练习与错题本"), lambda user: True),
    NavItem("learner_certification.programs", _l("我的认证"), lambda user: True),
    NavItem("bank.browse", _l("题库"), can_use_bank),
    NavItem("exam_manage.exams", _l("考试管理"), can_manage_exams),
    NavItem("exam_console.index", _l("考试现场"), can_use_console),
    NavItem("bank.review_queue", _l("待审试题"), can_review_questions),
    NavItem("hr.roster", _l("人事工作台"), can_use_hr_workspace),
    NavItem("reports.index", _l("部门报表"), can_use_reports),
    NavItem("admin.users", _l("人员管理"), can_use_people_admin),
    NavItem("admin.departments", _l("组织机构"), can_use_people_admin),
    NavItem("admin.audit_log", _l("审计日志"), can_view_audit_log),
    NavItem("courseware_edit.study_hours", _l("学时规则"), can_configure_study_hours),
)


def nav_items() -> list[dict]:
    """Items the current user may open, with the active one marked."""
    if not current_user.is_authenticated:
        return []
    active_prefix = (request.endpoint or "").split(".")[0]
    return [{"url": url_for(item.endpoint), "label": item.label,
             "active": request.endpoint == item.endpoint
             or (item.endpoint == "reports.index" and active_prefix == "reports")
             or (item.endpoint == "hr.roster" and (active_prefix in ("hr", "programs")
                                                   or request.endpoint == "notifications.hr_reminders"))
             or (item.endpoint == "courseware.courses" and active_prefix == "courseware"
                 and request.endpoint not in (i.endpoint for i in NAV_ITEMS))}
            for item in NAV_ITEMS if item.visible(current_user)]


def template_context() -> dict:
    """Globals every template may use."""
    return {"nav_items": nav_items, "current_locale": select_locale(), "locales": SUPPORTED_LOCALES,
            "role_labels": ROLE_LABELS, "department_kind_labels": DEPARTMENT_KIND_LABELS, "is_admin": is_admin,
            "current_year": utcnow().year, "unread_notifications": _unread_notifications}


def _unread_notifications() -> int:
    """The signed-in user's unread notifications (one indexed COUNT), for the header."""
    return unread_count(current_user.id) if current_user.is_authenticated else 0
