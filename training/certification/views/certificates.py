"""Certificates: the public verification page (no login, rate-limited against enumerating codes), the holder's
list, a certificate's page with its history, the PDF download and revocation by HR officers in scope.

A revoked certificate is refused as PDF (409, see ``services.pdf``) rather than watermarked: a printed copy
must never look valid, and the verification page says 已撤销 to whoever scans an old print."""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from training.certification.models import Certificate
from training.certification.permissions import can_revoke_certificate
from training.certification.services import certificates, learning, pdf, verification
from training.certification.services.certificates import MAX_REASON, MIN_REASON
from training.core.clock import utcnow
from training.core.errors import DomainError
from training.extensions import limiter
from training.org.models import User

certificates_bp = Blueprint("certificates", __name__, template_folder="../templates")

#: One budget per client address for every verification look-up (this page and ``GET /api/v1/verify/<code>``).
verify_limit = limiter.shared_limit(verification.verify_rate_limit, scope=verification.VERIFY_SCOPE)

STATE_LABELS = {"valid": _l("有效"), "expired": _l("已过期"), "revoked": _l("已撤销")}
STATE_BADGES = {"valid": "badge-ok", "expired": "badge-warn", "revoked": "badge-err"}


class VerifyForm(FlaskForm):
    """The code typed on the public verification page (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    code = StringField(_l("证书验证码"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "off", "spellcheck": "false", "placeholder": "XXXX-XXXX-XXXX"})


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("撤销原因（仅组织人事部门和持证人可见）"),
                           validators=[DataRequired(), Length(min=MIN_REASON, max=MAX_REASON)])


@certificates_bp.app_template_filter("certificate_state_label")
def certificate_state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@certificates_bp.app_template_filter("certificate_state_badge")
def certificate_state_badge(state: str) -> str:
    return STATE_BADGES.get(state, "badge-info")


def verify_url(code: str) -> str:
    """The public verification address printed as QR code: on ``PUBLIC_BASE_URL`` when configured (the
    address people outside the intranet reach), else on the host of this request."""
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    if base:
        return base.rstrip("/") + url_for("certificates.verify_code", code=code)
    return url_for("certificates.verify_code", code=code, _external=True)


@certificates_bp.get("/verify", endpoint="verify")
def verify_form():
    """The form to type a code; a submitted code goes to its own page (a shareable address)."""
    form = VerifyForm(request.args)
    if request.args and form.validate():
        code = verification.normalise_code(form.code.data)
        if verification.is_well_formed(code):
            return redirect(url_for("certificates.verify_code", code=code))
        form.code.errors = [*form.code.errors, _("验证码由 12 位字母和数字组成，请核对后重新输入")]
    return render_template("certification/verify_form.html", form=form)


@certificates_bp.get("/verify/<code>", endpoint="verify_code")
@verify_limit
def verify_code(code: str):
    """有效 / 已过期 / 已撤销 with the dates and a masked name; 404 for an unknown code."""
    result = verification.verify(code)
    status = 200 if result is not None else 404
    return render_template("certification/verify.html", result=result, code=code, form=VerifyForm()), status


@certificates_bp.get("/certificates", endpoint="mine")
@login_required
def my_certificates():
    now = utcnow()
    rows = [(certificate, certificate.state(now)) for certificate in certificates.certificates_of(current_user.id)]
    return render_template("certification/certificates.html", rows=rows)


@certificates_bp.get("/certificates/<int:certificate_id>", endpoint="certificate")
@login_required
def certificate_page(certificate_id: int):
    certificate, holder = certificates.visible_certificate(current_user, certificate_id)
    return _render_certificate(certificate, holder, RevokeForm())


@certificates_bp.get("/certificates/<int:certificate_id>/pdf", endpoint="pdf")
@login_required
def certificate_pdf(certificate_id: int):
    """The printable PDF (holder, HR officers in scope, admins); refused for a revoked certificate."""
    certificate, _holder = certificates.visible_certificate(current_user, certificate_id)
    data = pdf.certificate_pdf(certificate, verify_url(certificate.verification_code))
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"certificate-{certificate.number}.pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@certificates_bp.post("/certificates/<int:certificate_id>/revoke", endpoint="revoke")
@login_required
def revoke(certificate_id: int):
    """Revoke with a reason (HR officers in the holder's scope, admins; audited by the service)."""
    certificate, holder = certificates.visible_certificate(current_user, certificate_id)
    if not can_revoke_certificate(current_user, certificate, holder):
        abort(403)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _render_certificate(certificate, holder, form), 422
    try:
        certificates.revoke_certificate(current_user, certificate_id, form.reason.data)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("证书 %(number)s 已撤销", number=certificate.number), "success")
    return redirect(url_for("certificates.certificate", certificate_id=certificate_id))


def _render_certificate(certificate: Certificate, holder: User, form: RevokeForm) -> str:
    return render_template(
        "certification/certificate.html", certificate=certificate, holder=holder,
        state=certificate.state(utcnow()), history=learning.certificate_history(certificate),
        can_revoke=can_revoke_certificate(current_user, certificate, holder) and certificate.revoked_at is None,
        is_holder=certificate.user_id == current_user.id, verify_url=verify_url(certificate.verification_code),
        form=form)
