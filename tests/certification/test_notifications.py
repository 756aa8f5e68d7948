"""In-app notifications (once per dedupe key, rendered from kind and params, unread count, marking read only
one's own, the inbox page) and their e-mail copies over a real SMTP socket when MAIL_SERVER is configured."""

from __future__ import annotations

import email
import logging
import socket
import socketserver
import threading
from datetime import datetime, timedelta
from email.policy import default as default_policy

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from tests.conftest import login_as
from tests.factories import make_user
from training.certification.constants import NotificationKind
from training.certification.models import Notification
from training.certification.services import mail
from training.certification.services.notifications import (
    inbox,
    mark_read,
    notify,
    notify_many,
    render,
    unread_count,
)
from training.core.clock import frozen_clock
from training.extensions import db

NOW = datetime(2026, 3, 10, 2, 0)


def stored(user_id: int | None = None) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    return list(db.session.scalars(query))


# ---- notify ----------------------------------------------------------------------------------------

def test_notify_adds_once_per_dedupe_key(learner, hr_officer):
    params = {"program": "电子政务应用能力（初级）", "due": "2026-06-30"}
    assert notify(learner.id, NotificationKind.ASSIGNED, dedupe_key="assigned:program:1", params=params,
                  link="/my/programs") == 1
    assert notify(learner.id, NotificationKind.ASSIGNED, dedupe_key="assigned:program:1", params=params) == 0
    assert notify(hr_officer.id, NotificationKind.ASSIGNED, dedupe_key="assigned:program:1", params=params) == 1
    db.session.commit()
    rows = stored(learner.id)
    assert len(rows) == 1 and rows[0].link == "/my/programs" and rows[0].params == params
    assert rows[0].read_at is None and rows[0].emailed_at is None
    # the stored title is the Chinese rendering: a fallback for readers of the raw row
    assert rows[0].title == "您被安排参加《电子政务应用能力（初级）》，请于 2026-06-30 前完成"
    assert len(stored()) == 2


def test_notify_joins_the_callers_transaction(learner):
    notify(learner.id, NotificationKind.OVERDUE, dedupe_key="overdue:1", params={"program": "P", "due": None})
    db.session.rollback()
    assert stored() == []


def test_notify_many_inserts_a_chunk_per_statement(org):
    people = [make_user(org.qc_division, employee_no=f"N{i:04d}") for i in range(3)]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            statements.append(statement)

    rows = [{"user_id": people[i % 3].id, "kind": NotificationKind.DUE_SOON, "dedupe_key": f"due_soon:{i}",
             "params": {"program": "P", "due": "2026-04-01"}} for i in range(2500)]
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        added = notify_many(rows)
        again = notify_many(rows[:1200])  # repeats are skipped, not errors
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    db.session.commit()
    assert added == 2500 and again == 0
    assert len(statements) == 3 + 2
    assert [s.count("), (") + 1 for s in statements] == [1000, 1000, 500, 1000, 200]  # multi-row VALUES
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2500


# ---- rendering -------------------------------------------------------------------------------------

RENDERED = [
    (NotificationKind.ASSIGNED, {"program": "电子政务", "due": "2026-06-30"},
     "您被安排参加《电子政务》，请于 2026-06-30 前完成", None),
    (NotificationKind.ASSIGNED, {"program": "电子政务", "due": None}, "您被安排参加《电子政务》", None),
    (NotificationKind.DUE_SOON, {"program": "电子政务", "due": "2026-03-20T00:00:00"},
     "《电子政务》将于 2026-03-20 截止，请尽快完成", "14 天"),
    (NotificationKind.OVERDUE, {"program": "电子政务", "due": "2026-03-01"},
     "《电子政务》已逾期未完成（截止日期 2026-03-01）", None),
    (NotificationKind.CERTIFICATE_ISSUED, {"program": "电子政务", "number": "EGOV-2026-000123",
                                           "certificate_id": 7}, "您已获得《电子政务》证书", "EGOV-2026-000123"),
    (NotificationKind.EXPIRING, {"program": "电子政务", "expires": "2026-05-01", "certificate_id": 7},
     "您的《电子政务》证书将于 2026-05-01 到期", "复训"),
    (NotificationKind.REVOKED, {"program": "电子政务", "number": "EGOV-2026-000123"},
     "您的《电子政务》证书已被撤销", "EGOV-2026-000123"),
]


@pytest.mark.parametrize(("kind", "params", "title", "in_body"), RENDERED)
def test_system_notifications_render_in_chinese_from_params(app_ctx, kind, params, title, in_body):
    shown_title, body = render(Notification(kind=kind, params=params, title="（旧标题）", body=""))
    assert shown_title == title
    assert body and (in_body is None or in_body in body)


@pytest.mark.parametrize(("kind", "params", "title", "in_body"), RENDERED)
def test_rendering_in_english_still_interpolates_the_params(app_ctx, kind, params, title, in_body):
    with force_locale("en"):
        shown_title, _body = render(Notification(kind=kind, params=params, title="", body=""))
    assert params["program"] in shown_title
    for key in ("due", "expires"):
        if params.get(key):
            assert params[key][:10] in shown_title


def test_a_reminder_shows_the_officers_own_text(app_ctx):
    reminder = Notification(kind=NotificationKind.REMINDER, params={"program": "电子政务"},
                            title="学习提醒：《电子政务》", body="请本周五前完成第三章。")
    assert render(reminder) == ("学习提醒：《电子政务》", "请本周五前完成第三章。")
    unknown = Notification(kind="something_new", params={}, title="自定义标题", body="自定义内容")
    assert render(unknown) == ("自定义标题", "自定义内容")


# ---- unread count and marking read ------------------------------------------------------------------

def _three_for(user) -> list[int]:
    for i in range(3):
        notify(user.id, NotificationKind.DUE_SOON, dedupe_key=f"due_soon:{i}", params={"program": f"P{i}",
                                                                                     "due": "2026-04-01"})
    db.session.commit()
    return [n.id for n in stored(user.id)]


def test_unread_count_and_mark_read_touch_only_ones_own(learner, hr_officer):
    mine, theirs = _three_for(learner), _three_for(hr_officer)
    assert unread_count(learner.id) == unread_count(hr_officer.id) == 3
    assert mark_read(learner.id, [theirs[0]]) == 0  # another person's id: untouched
    assert mark_read(learner.id, [mine[0]]) == 1
    assert unread_count(learner.id) == 2 and unread_count(hr_officer.id) == 3
    assert mark_read(learner.id) == 2
    assert unread_count(learner.id) == 0 and unread_count(hr_officer.id) == 3
    assert all(n.read_at is None for n in stored(hr_officer.id))


def test_inbox_pages_newest_first(learner):
    for day in range(25):
        with frozen_clock(NOW + timedelta(days=day)):
            notify(learner.id, NotificationKind.OVERDUE, dedupe_key=f"overdue:{day}",
                   params={"program": f"项目{day}", "due": "2026-03-01"})
    db.session.commit()
    first, second = inbox(learner.id, 1, 20), inbox(learner.id, 2, 20)
    assert first.total == 25 and first.unread == 25 and first.pages == 2
    assert [title for _n, title, _b in first.items][:2] == ["《项目24》已逾期未完成（截止日期 2026-03-01）",
                                                           "《项目23》已逾期未完成（截止日期 2026-03-01）"]
    assert len(second.items) == 5 and "项目0" in second.items[-1][1]


# ---- pages -------------------------------------------------------------------------------------------

def test_the_inbox_needs_a_login(client, app_ctx):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/notifications/read", data={}).status_code == 302


def test_the_inbox_shows_rendered_messages_and_marks_read(client, learner, hr_officer):
    mine, theirs = _three_for(learner), _three_for(hr_officer)
    login_as(client, learner)
    page = client.get("/notifications").text
    assert "《P0》将于 2026-04-01 截止，请尽快完成" in page and page.count("未读") >= 3
    response = client.post("/notifications/read", data={"notification_id": str(theirs[0])})
    assert response.status_code == 302
    assert client.post("/notifications/read", data={"notification_id": str(mine[1])}).status_code == 302
    db.session.expire_all()
    assert [n.read_at is not None for n in stored(learner.id)] == [False, True, False]
    assert all(n.read_at is None for n in stored(hr_officer.id))
    client.post("/notifications/read", data={})
    assert unread_count(learner.id) == 0 and unread_count(hr_officer.id) == 3


def test_marking_read_needs_the_csrf_token(raw_client, learner):
    mine = _three_for(learner)
    login_as(raw_client, learner)
    assert raw_client.post("/notifications/read", data={"notification_id": str(mine[0])}).status_code == 400
    assert unread_count(learner.id) == 3


# ---- e-mail over SMTP ---------------------------------------------------------------------------------

class SmtpSink(socketserver.ThreadingTCPServer):
    """A minimal SMTP server on 127.0.0.1 (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) that keeps what it
    receives; recipients in ``refuse`` get a 550."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()
        self.connections = 0


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        sink: SmtpSink = self.server  # type: ignore[assignment]
        sink.connections += 1
        self.reply("220 sink ESMTP ready")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb, argument = command[:4].upper(), command.partition(":")[2].strip().strip("<>")
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "MAIL":
                sender, recipients = argument.split(">")[0], []
                self.reply("250 OK")
            elif verb == "RCPT":
                if argument in sink.refuse:
                    self.reply("550 no such mailbox")
                else:
                    recipients.append(argument)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                sink.messages.append((sender, recipients, self.read_data()))
                self.reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                recipients = [] if verb == "RSET" else recipients
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 command not implemented")

    def read_data(self) -> email.message.EmailMessage:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return email.message_from_bytes(b"".join(lines), policy=default_policy)


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    yield sink
    sink.shutdown()
    sink.server_close()


@pytest.fixture
def mail_config(app, monkeypatch, smtp_sink):
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_sink.server_address[1],
                       "MAIL_USE_TLS": False, "MAIL_USE_SSL": False, "MAIL_USERNAME": "",
                       "MAIL_PASSWORD": "", "MAIL_FROM": "academy@example.org",
                       "PUBLIC_BASE_URL": "https://academy.example.org"}.items():
        monkeypatch.setitem(app.config, key, value)
    return app.config


def _with_email(user, address: str):
    user.email = address
    db.session.commit()
    return user


def test_pending_notifications_are_emailed_once(mail_config, smtp_sink, learner, hr_officer, org):
    _with_email(learner, "li@example.org")
    silent = make_user(org.qc_division, employee_no="N0001", name="无邮箱")  # no address: nothing to send
    with frozen_clock(NOW - timedelta(days=8)):  # too old to be worth an e-mail
        notify(learner.id, NotificationKind.OVERDUE, dedupe_key="old", params={"program": "旧项目", "due": None})
    with frozen_clock(NOW):
        notify(learner.id, NotificationKind.CERTIFICATE_ISSUED, dedupe_key="certificate:7", link="/certificates/7",
               params={"program": "电子政务应用能力（初级）", "number": "EGOV-2026-000007", "certificate_id": 7})
        notify(learner.id, NotificationKind.DUE_SOON, dedupe_key="due_soon:1",
               params={"program": "数据安全", "due": "2026-03-20"})
        notify(silent.id, NotificationKind.DUE_SOON, dedupe_key="due_soon:2", params={"program": "P", "due": None})
        db.session.commit()
        assert mail.deliver_pending() == 2
        assert mail.deliver_pending() == 0
    assert smtp_sink.connections == 1  # one connection for the batch
    (sender, recipients, first), (_s, _r, second) = smtp_sink.messages
    assert sender == "academy@example.org" and recipients == ["li@example.org"]
    assert first["Subject"] == "您已获得《电子政务应用能力（初级）》证书" and "li@example.org" in first["To"]
    text = first.get_content()
    assert "李学员，您好" in text and "EGOV-2026-000007" in text
    assert "https://academy.example.org/certificates/7" in text
    assert second["Subject"] == "《数据安全》将于 2026-03-20 截止，请尽快完成"
    db.session.expire_all()
    emailed = {n.dedupe_key: n.emailed_at for n in stored()}
    assert emailed["certificate:7"] == emailed["due_soon:1"] == NOW
    assert emailed["old"] is None and stored(silent.id)[0].emailed_at is None


def test_nothing_is_sent_unless_mail_server_is_configured(mail_config, monkeypatch, smtp_sink, learner):
    monkeypatch.setitem(mail_config, "MAIL_SERVER", "")
    _with_email(learner, "li@example.org")
    notify(learner.id, NotificationKind.OVERDUE, dedupe_key="overdue:1", params={"program": "P", "due": None})
    db.session.commit()
    assert mail.deliver_pending() == 0
    assert smtp_sink.connections == 0 and smtp_sink.messages == []
    assert stored()[0].emailed_at is None


def test_a_refused_message_is_logged_and_retried_next_time(mail_config, smtp_sink, learner, hr_officer, caplog,
                                                           monkeypatch):
    # Alembic's fileConfig (migrations/env.py) disables loggers that existed when the test database was migrated.
    monkeypatch.setattr(mail.log, "disabled", False)
    _with_email(learner, "li@example.org")
    _with_email(hr_officer, "wang@example.org")
    smtp_sink.refuse.add("li@example.org")
    for person in (learner, hr_officer):
        notify(person.id, NotificationKind.OVERDUE, dedupe_key="overdue:1", params={"program": "P", "due": None})
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger=mail.__name__):
        assert mail.deliver_pending() == 1
    assert "refused" in caplog.text and "550" in caplog.text
    db.session.expire_all()
    assert stored(learner.id)[0].emailed_at is None and stored(hr_officer.id)[0].emailed_at is not None
    smtp_sink.refuse.clear()
    assert mail.deliver_pending() == 1
    assert [recipients for _s, recipients, _m in smtp_sink.messages] == [["wang@example.org"], ["li@example.org"]]
    db.session.expire_all()
    assert stored(learner.id)[0].emailed_at is not None


def test_an_unreachable_server_sends_nothing_and_marks_nothing(mail_config, monkeypatch, learner):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(mail_config, "MAIL_PORT", port)
    _with_email(learner, "li@example.org")
    notify(learner.id, NotificationKind.OVERDUE, dedupe_key="overdue:1", params={"program": "P", "due": None})
    db.session.commit()
    assert mail.deliver_pending() == 0
    db.session.expire_all()
    assert stored()[0].emailed_at is None
