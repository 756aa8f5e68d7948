"""E-mail copies of notifications over SMTP — off unless ``MAIL_SERVER`` is configured.

``deliver_pending`` sends every notification of the last 7 days that has not been e-mailed yet to people with
an e-mail address, over one SMTP connection per batch, and marks them ``emailed_at``. A message the server
refuses is logged and left unmarked, so the next run tries it again.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from training.certification.models import Notification
from training.certification.services.notifications import render
from training.core.clock import utcnow
from training.extensions import db
from training.org.models import User

log = logging.getLogger(__name__)
#: Notifications older than this are not e-mailed any more (they are stale by then).
MAX_AGE = timedelta(days=7)
TIMEOUT_SECONDS = 30


def mail_enabled(config: Mapping[str, Any] | None = None) -> bool:
    """Whether SMTP delivery is configured (``MAIL_SERVER`` set)."""
    return bool((config if config is not None else current_app.config).get("MAIL_SERVER"))


def deliver_pending(limit: int = 500) -> int:
    """Send up to ``limit`` pending notifications by e-mail; returns how many were sent (0 when SMTP is not
    configured or the server cannot be reached). Commits the ``emailed_at`` marks."""
    config = current_app.config
    if not mail_enabled(config):
        return 0
    rows = db.session.execute(
        select(Notification, User.email, User.name).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.created_at >= utcnow() - MAX_AGE,
               User.email != "", User.is_active.is_(True))
        .order_by(Notification.id).limit(limit)).all()
    if not rows:
        return 0
    sent: list[int] = []
    try:
        with _connect(config) as smtp:
            for notification, email, name in rows:
                if _send_one(smtp, notification, email, name, config):
                    sent.append(notification.id)
    except (OSError, smtplib.SMTPException):
        log.exception("SMTP delivery to %s stopped; the rest is retried on the next run", config["MAIL_SERVER"])
    finally:
        if sent:
            db.session.execute(update(Notification).where(Notification.id.in_(sent))
                               .values(emailed_at=utcnow()).execution_options(synchronize_session=False))
        db.session.commit()
    return len(sent)


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    """An SMTP connection as configured: implicit TLS (``MAIL_USE_SSL``), STARTTLS (``MAIL_USE_TLS``), login."""
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    if config.get("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS)
    else:
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return smtp


def _send_one(smtp: smtplib.SMTP, notification: Notification, email: str, name: str,
              config: Mapping[str, Any]) -> bool:
    """Send one message; a refusal of this message (recipient, data) or a malformed address is logged and
    reported as False. A broken connection propagates and ends the batch."""
    try:
        smtp.send_message(compose(notification, email, name, config))
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError, ValueError) as error:
        log.warning("E-mail of notification %s to user %s refused: %s", notification.id, notification.user_id,
                    error)
        return False
    return True


def compose(notification: Notification, email: str, name: str, config: Mapping[str, Any]) -> EmailMessage:
    """The e-mail of one notification, in the platform's default language (a mail has no reader's session)."""
    with force_locale(config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        title, body = render(notification)
        link = notification.link
        if link.startswith("/") and config.get("PUBLIC_BASE_URL"):
            link = config["PUBLIC_BASE_URL"].rstrip("/") + link
        greeting = _("%(name)s，您好：", name=name)
        footer = _("—— 电子政务学院（此邮件由系统自动发送，请勿回复）")
        sender_name = _("电子政务学院")
    message = EmailMessage()
    message["Subject"] = " ".join(title.split())  # no line breaks in a header (a name may carry one)
    message["From"] = formataddr((sender_name, sender_address(config)))
    message["To"] = formataddr((" ".join(name.split()), email))
    message.set_content("\n\n".join(part for part in (greeting, title, body, link, footer) if part))
    return message


def sender_address(config: Mapping[str, Any]) -> str:
    """``MAIL_FROM``, else the SMTP account name, else ``noreply@localhost``."""
    return config.get("MAIL_FROM") or config.get("MAIL_USERNAME") or "noreply@localhost"
