"""Every package's blueprints, registered by the composition root (layer L4)."""

from __future__ import annotations

from flask import Flask

from courseware.api import courseware_api
from courseware.views.editing import editing_bp
from courseware.views.learning import learning_bp
from question_bank.api import question_api
from question_bank.exams.api import exam_api
from question_bank.exams.manage_api import exam_manage_api
from question_bank.exams.views import analysis, marking  # noqa: F401  (routes on exam_manage_bp)
from question_bank.exams.views.candidate import exams_bp
from question_bank.exams.views.console import exam_console_bp
from question_bank.exams.views.manage import exam_manage_bp
from question_bank.practice.views import practice_bp
from question_bank.views import bank_bp
from training.certification.api import certification_api
from training.certification.verify_api import verify_api
from training.certification.views.certificates import certificates_bp
from training.certification.views.hr import hr_bp
from training.certification.views.learner import learner_certification_bp
from training.certification.views.notifications import notifications_bp
from training.certification.views.programs import programs_bp
from training.core.health import health_bp
from training.dashboard.views import dashboard_bp
from training.extensions import csrf
from training.org.api import org_api
from training.org.views.admin import admin_bp
from training.org.views.auth import auth_bp
from training.reports.api import reports_api
from training.reports.views.dashboard import reports_bp

WEB_BLUEPRINTS = (health_bp, auth_bp, admin_bp, dashboard_bp, learning_bp, editing_bp, bank_bp, exams_bp,
                  exam_manage_bp, exam_console_bp, practice_bp, programs_bp, certificates_bp, learner_certification_bp,
                  notifications_bp, hr_bp, reports_bp)
API_BLUEPRINTS = (org_api, courseware_api, question_api, exam_api, exam_manage_api, certification_api, verify_api,
                  reports_api)


def register_all(app: Flask) -> None:
    """Register web blueprints (form CSRF) and API blueprints (CSRF checked per request, see app.py)."""
    for blueprint in WEB_BLUEPRINTS:
        app.register_blueprint(blueprint)
    for blueprint in API_BLUEPRINTS:
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
