"""In-app notifications: added once per (person, ``dedupe_key``) inside the caller's transaction, rendered in
the reader's language from ``kind`` and ``params``, read in an inbox, counted for the unread badge."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from training.certification.constants import NotificationKind
from training.certification.models import Notification
from training.core.clock import utcnow
from training.core.sql import dialect_insert
from training.extensions import db

#: Rows per multi-row INSERT in ``notify_many`` (10 columns: well inside SQLite's and PostgreSQL's limits).
CHUNK = 1000
TITLE_LENGTH = 200


@dataclass(frozen=True)
class InboxPage:
    """One page of a person's notifications, newest first, each with its rendered title and body."""

    items: list[tuple[Notification, str, str]]
    total: int
    unread: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def notify(user_id: int, kind: str, *, dedupe_key: str, params: Mapping[str, Any] | None = None, link: str = "",
           title: str = "", body: str = "") -> int:
    """Add one notification to the current transaction unless ``user_id`` already has one with ``dedupe_key``
    (INSERT … ON CONFLICT DO NOTHING). Does not commit: the caller commits with its own change. Returns 1
    when added, 0 when it was already there."""
    return notify_many([{"user_id": user_id, "kind": kind, "dedupe_key": dedupe_key, "params": params,
                         "link": link, "title": title, "body": body}])


def notify_many(rows: Iterable[Mapping[str, Any]]) -> int:
    """``notify`` for many people at once: one multi-row INSERT per 1,000 rows, duplicates skipped. Each row
    has ``user_id``, ``kind``, ``dedupe_key`` and optionally ``params``, ``link``, ``title``, ``body``. Does not
    commit. Returns how many were added."""
    now = utcnow()
    added = 0
    chunk: list[dict[str, Any]] = []
    titles: dict[str, str] = {}  # fallback titles, rendered once per (kind, params): 10,000 assignees share one
    for row in rows:
        chunk.append(_values(row, now, titles))
        if len(chunk) == CHUNK:
            added += _insert(chunk)
            chunk = []
    if chunk:
        added += _insert(chunk)
    return added


def _values(row: Mapping[str, Any], now: datetime, titles: dict[str, str]) -> dict[str, Any]:
    params = dict(row.get("params") or {})
    title = row.get("title") or ""
    if not title:  # a fallback in the default language, for readers of the raw row
        key = json.dumps([row["kind"], params], sort_keys=True, default=str)
        if key not in titles:
            with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
                titles[key] = _render_system(row["kind"], params)[0]
        title = titles[key]
    return {"user_id": row["user_id"], "kind": str(row["kind"]), "dedupe_key": row["dedupe_key"][:120],
            "params": params, "link": row.get("link") or "", "title": title[:TITLE_LENGTH],
            "body": row.get("body") or "", "created_at": now}


def _insert(chunk: list[dict[str, Any]]) -> int:
    """One ``INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING id`` for the chunk (SQLAlchemy's
    "insertmanyvalues" batches executemany into one statement per 1,000 rows, compiled once); the returned ids
    count the rows really added on either database."""
    statement = dialect_insert(Notification.__table__).on_conflict_do_nothing(
        index_elements=["user_id", "dedupe_key"]).returning(Notification.__table__.c.id)
    return len(db.session.execute(statement, chunk).all())


def render(notification: Notification) -> tuple[str, str]:
    """``(title, body)`` in the current language. System notifications are rendered from ``kind`` and
    ``params``; an HR officer's reminder keeps its own text (the body), under a translated title."""
    params = notification.params or {}
    if notification.kind == NotificationKind.REMINDER:
        title = _("学习提醒：《%(program)s》", program=params["program"]) if params.get("program") \
            else notification.title
        return title, notification.body
    rendered = _render_system(notification.kind, params)
    return rendered if rendered[0] else (notification.title, notification.body)


def _day(value: Any) -> str:
    """An ISO date or date-time parameter as its date (``2026-06-30``)."""
    return str(value)[:10] if value else ""


def _render_system(kind: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """Title and body of a system notification; ``("", "")`` for a kind that is not rendered."""
    program, due = params.get("program", ""), _day(params.get("due"))
    if kind == NotificationKind.ASSIGNED:
        title = _("您被安排参加《%(program)s》，请于 %(due)s 前完成", program=program, due=due) if due \
            else _("您被安排参加《%(program)s》", program=program)
        return title, _("请在“我的认证”中查看各项要求和当前进度。")
    if kind == NotificationKind.DUE_SOON:
        return (_("《%(program)s》将于 %(due)s 截止，请尽快完成", program=program, due=due),
                _("距截止日期已不足 14 天。"))
    if kind == NotificationKind.OVERDUE:
        return (_("《%(program)s》已逾期未完成（截止日期 %(due)s）", program=program, due=due),
                _("请尽快完成剩余要求，如有困难请联系本单位组织人事部门。"))
    if kind == NotificationKind.CERTIFICATE_ISSUED:
        return (_("您已获得《%(program)s》证书", program=program),
                _("证书编号 %(number)s，可在证书页面下载打印。", number=params.get("number", "")))
    if kind == NotificationKind.EXPIRING:
        return (_("您的《%(program)s》证书将于 %(expires)s 到期", program=program,
                  expires=_day(params.get("expires"))),
                _("请在到期前完成复训要求，以便续期证书。"))
    if kind == NotificationKind.REVOKED:
        return (_("您的《%(program)s》证书已被撤销", program=program),
                _("证书编号 %(number)s。如有疑问，请联系本单位组织人事部门。", number=params.get("number", "")))
    return "", ""


def unread_count(user_id: int) -> int:
    """Unread notifications of ``user_id`` (one COUNT over the (user_id, read_at) index)."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def inbox(user_id: int, page: int = 1, per_page: int = 20) -> InboxPage:
    """A page of ``user_id``'s notifications, newest first, rendered in the current language."""
    page = max(page, 1)
    total = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id)) or 0
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc())
                              .limit(per_page).offset((page - 1) * per_page))
    return InboxPage(items=[(n, *render(n)) for n in rows], total=total, unread=unread_count(user_id),
                     page=page, per_page=per_page)


def mark_read(user_id: int, ids: Sequence[int] | None = None) -> int:
    """Mark ``user_id``'s notifications read: all of them (``ids`` None) or those of ``ids`` — never another
    person's. Commits; returns how many changed."""
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    result = db.session.execute(statement.values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount or 0
