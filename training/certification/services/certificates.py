"""Certificates as people see them: the holder's list, access for HR in scope, and revocation."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from training.certification.constants import NotificationKind
from training.certification.models import Certificate
from training.certification.permissions import can_revoke_certificate, can_view_certificate
from training.certification.services.notifications import notify
from training.certification.services.progress import refresh
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from training.extensions import db
from training.org.models import User

MIN_REASON, MAX_REASON = 5, 500


def certificates_of(user_id: int) -> list[Certificate]:
    """The person's certificates, newest first."""
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def visible_certificate(viewer: User, certificate_id: int) -> tuple[Certificate, User]:
    """The certificate and its holder, if the viewer is the holder, an HR officer in scope or an admin; otherwise
    NotFound (a certificate outside one's scope does not exist for them)."""
    certificate = db.session.get(Certificate, certificate_id)
    holder = db.session.get(User, certificate.user_id) if certificate is not None else None
    if not can_view_certificate(viewer, certificate, holder):
        raise NotFound(_("证书不存在"))
    return certificate, holder


def revoke_certificate(actor: User, certificate_id: int, reason: str) -> Certificate:
    """Revoke a certificate with a reason (5–500 characters): audited, the holder notified, their progress
    recomputed (a new certificate then needs the exam passed again). Revoking twice is a Conflict."""
    certificate, holder = visible_certificate(actor, certificate_id)
    if not can_revoke_certificate(actor, certificate, holder):
        raise PermissionDenied(_("无权撤销该证书"))
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise ValidationFailed(_("撤销原因需填写 %(low)d–%(high)d 个字", low=MIN_REASON, high=MAX_REASON))
    if certificate.revoked_at is not None:
        raise Conflict(_("该证书已被撤销"))
    certificate.revoked_at, certificate.revoke_reason, certificate.revoked_by_id = utcnow(), reason, actor.id
    record_audit(actor.id, "certificate.revoke", "certificate", certificate.id, number=certificate.number,
                 user=holder.employee_no, reason=reason)
    notify(holder.id, NotificationKind.REVOKED, dedupe_key=f"revoked:{certificate.id}",
           params={"program": certificate.program_name, "number": certificate.number},
           link=f"/certificates/{certificate.id}")
    db.session.commit()
    refresh(holder.id, [certificate.program_id])
    return certificate
