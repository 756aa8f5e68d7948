"""``/``: the home page, one section per role the user holds."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from courseware.services.records import learner_overview
from question_bank.exams.services.candidate import my_exams
from question_bank.practice.services.book import book_summary
from training.certification.services.learning import my_assignments
from training.dashboard import services
from training.org.constants import Role
from training.org.permissions import is_admin, scope_paths

dashboard_bp = Blueprint("dashboard", __name__, template_folder="templates")


@dashboard_bp.get("/")
@login_required
def home():
    user = current_user
    context = {
        "trail": services.department_trail(user.department),
        "learning": learner_overview(user),
        "exam_cards": [card for card in my_exams(user) if card.state in ("open", "in_progress", "upcoming")][:5],
        "wrong_book": book_summary(user.id, with_mastered=False),
        "programs": my_assignments(user.id),
        "admin_summary": services.people_summary(user) if is_admin(user) else None,
        "recent_events": services.recent_audit_events() if is_admin(user) else [],
        "hr_summary": services.people_summary(user, Role.HR) if scope_paths(user, Role.HR) else None,
        "leader_units": [(root, services.child_headcounts(root))
                         for root in services.scope_roots(user, Role.LEADER)]
        if user.has_role(Role.LEADER) and not is_admin(user) else [],
    }
    return render_template("dashboard/home.html", **context)
