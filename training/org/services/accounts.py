"""Authentication, passwords, sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update

from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.errors import NotFound, ValidationFailed
from training.extensions import db
from training.org.errors import AccountLocked, AuthenticationFailed, WeakPassword
from training.org.models import ApiToken, User

TOKEN_PREFIX = "egov_"


def check_password_rules(password: str, user: User | None = None) -> None:
    """Raise WeakPassword unless the password is long enough and not trivially guessable."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise WeakPassword(_("密码至少需要 %(n)d 个字符", n=minimum))
    if len(set(password)) < 4:
        raise WeakPassword(_("密码过于简单，请混合使用不同的字符"))
    if user is not None and user.employee_no.lower() in password.lower():
        raise WeakPassword(_("密码不能包含工号"))


def authenticate(employee_no: str, password: str) -> User:
    """Check credentials; count failures and lock the account for ``LOCKOUT_MINUTES`` after
    ``LOCKOUT_THRESHOLD`` consecutive failures. With ``SINGLE_SESSION_LOGIN`` a successful login ends the
    user's other sessions. Commits either way."""
    user = db.session.scalar(select(User).where(User.employee_no == employee_no.strip()))
    if user is None or not user.is_active:
        raise AuthenticationFailed(_("账号或密码错误"))
    if user.is_locked():
        raise AccountLocked(_("失败次数过多，账号已锁定，请 %(minutes)d 分钟后再试",
                              minutes=max(1, int((user.locked_until - utcnow()).total_seconds() // 60) + 1)))
    if not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOCKOUT_THRESHOLD"]:
            user.locked_until = utcnow() + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
            user.failed_logins = 0
            record_audit(user.id, "account.locked", "user", user.id)
        db.session.commit()
        raise AuthenticationFailed(_("账号或密码错误"))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    if current_app.config["SINGLE_SESSION_LOGIN"]:
        user.session_version += 1  # a new login elsewhere ends the old session (防挂机, DOMAIN.md §3)
    db.session.commit()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the user's own password; other sessions end (session version bumped)."""
    if not user.check_password(current_password):
        raise ValidationFailed(_("当前密码不正确"))
    if current_password == new_password:
        raise WeakPassword(_("新密码不能与当前密码相同"))
    check_password_rules(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.session_version += 1
    record_audit(user.id, "account.password_changed", "user", user.id)
    db.session.commit()


def logout_everywhere(user: User) -> None:
    """End every session of the user, this one included, by bumping the session version."""
    user.session_version += 1
    record_audit(user.id, "account.logout_everywhere", "user", user.id)
    db.session.commit()


def parse_session_id(session_id: str) -> tuple[int, int] | None:
    """``"<id>:<session_version>"`` → (id, version), or None when malformed."""
    user_id, _sep, version = session_id.partition(":")
    return (int(user_id), int(version)) if user_id.isdigit() and version.isdigit() else None


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's user loader: an active user whose session version matches the one in the cookie."""
    parsed = parse_session_id(session_id)
    user = db.session.get(User, parsed[0]) if parsed else None
    if user is None or not user.is_active or user.session_version != parsed[1]:
        return None
    return user


_SESSION_CHECK = select(User.session_version).where(User.id == bindparam("user_id"), User.is_active.is_(True))


def session_user_id(session_id: str) -> int | None:
    """The id behind a session identity, checked with one prebuilt query and no ORM objects (hot paths)."""
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    version = db.session.connection().execute(_SESSION_CHECK, {"user_id": parsed[0]}).scalar()
    return parsed[0] if version == parsed[1] else None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str, days: int | None = 365) -> tuple[ApiToken, str]:
    """Create a bearer token for ``user``; returns the stored record and the token (shown once)."""
    name = (name or "").strip() or _("未命名令牌")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user_id=user.id, name=name[:64], token_hash=_hash_token(token), prefix=token[:12],
                      expires_at=utcnow() + timedelta(days=days) if days else None)
    db.session.add(record)
    db.session.flush()
    record_audit(user.id, "token.create", "api_token", record.id, name=record.name)
    db.session.commit()
    return record, token


def revoke_api_token(user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens."""
    record = db.session.get(ApiToken, token_id)
    if record is None or record.user_id != user.id:
        raise NotFound(_("令牌不存在"))
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        record_audit(user.id, "token.revoke", "api_token", record.id, name=record.name)
        db.session.commit()


def list_api_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())))


_TOKEN_LOOKUP = (
    select(ApiToken.id, ApiToken.user_id, ApiToken.expires_at, ApiToken.last_used_at)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.is_active.is_(True))
)


def user_id_for_bearer_token(token: str) -> int | None:
    """The id of the active user a usable token belongs to (one prebuilt query). Notes when the token was last
    used, at most once a minute, so a busy client does not turn every read into a write."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.connection().execute(_TOKEN_LOOKUP, {"token_hash": _hash_token(token)}).first()
    now = utcnow()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        db.session.commit()
    return row.user_id


def user_for_bearer_token(token: str) -> User | None:
    """Flask-Login's request loader for bearer tokens: the token's active user."""
    user_id = user_id_for_bearer_token(token)
    return db.session.get(User, user_id) if user_id else None
