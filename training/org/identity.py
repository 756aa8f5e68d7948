"""Who is calling, for the API's hot paths (study heartbeat, exam autosave): the same rules as the Flask-Login
loaders (a bearer token alone when present, otherwise the session cookie with its session version), checked
with one prebuilt indexed query and no ORM objects, and the check cached per process for a few seconds
(PERFORMANCE.md: "cache the session check"). A revoked token, a deactivated account or a bumped session
version therefore stops working on these endpoints within ``IDENTITY_CACHE_SECONDS``, and at once everywhere
else."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from time import monotonic

from flask import g, session
from flask_babel import gettext as _

from training.core.api import bearer_token, json_error
from training.core.caches import register_process_cache
from training.org.services.accounts import session_user_id, user_id_for_bearer_token

IDENTITY_CACHE_SECONDS = 10
IDENTITY_CACHE_LIMIT = 50_000
_cache: dict[str, tuple[float, int]] = {}
register_process_cache(_cache.clear)


def _cached(key: str, lookup: Callable[[], int | None]) -> int | None:
    now = monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    user_id = lookup()
    if user_id is None:
        _cache.pop(key, None)
        return None
    if len(_cache) >= IDENTITY_CACHE_LIMIT:
        _cache.clear()
    _cache[key] = (now + IDENTITY_CACHE_SECONDS, user_id)
    return user_id


def request_user_id() -> int | None:
    """The caller's user id, or None; computed once per request."""
    if "hot_user_id" not in g:
        token = bearer_token()
        if token:
            key = "t:" + hashlib.sha256(token.encode()).hexdigest()  # no raw tokens kept in memory
            g.hot_user_id = _cached(key, lambda: user_id_for_bearer_token(token))
        else:
            session_id = session.get("_user_id")
            g.hot_user_id = _cached("s:" + session_id, lambda: session_user_id(session_id)) \
                if isinstance(session_id, str) else None
    return g.hot_user_id


def hot_path_login_required(view: Callable) -> Callable:
    """401 JSON unless the caller is authenticated; the view receives ``user_id`` as its first argument."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user_id = request_user_id()
        if user_id is None:
            return json_error("unauthorized", _("请先登录或提供有效的访问令牌"), 401)
        return view(user_id, *args, **kwargs)

    return wrapper
