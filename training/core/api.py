"""Shared plumbing of the JSON API under ``/api/v1``: error bodies, bearer tokens, CSRF for cookie sessions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from training.core.errors import DomainError

API_PREFIX = "/api/v1"


def json_error(code: str, message: str, status: int, **extra: Any):
    """The API's one error shape: ``{"error": {"code", "message", ...}}``."""
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(extra)
    return jsonify({"error": body}), status


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def domain_error_response(error: DomainError):
    return json_error(error.code, error.message, error.http_status)


def http_error_response(error: HTTPException):
    names = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "unprocessable",
             429: "rate_limited"}
    messages = {400: _("请求无效"), 401: _("请先登录"), 403: _("没有权限"), 404: _("资源不存在"),
                405: _("不支持该请求方法"), 413: _("上传的文件太大"), 429: _("请求过于频繁，请稍后再试")}
    status = error.code or 500
    return json_error(names.get(status, "error"), messages.get(status, error.description or ""), status)


def api_login_required(view: Callable) -> Callable:
    """401 JSON unless authenticated by session or bearer token."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return json_error("unauthorized", _("请先登录或提供有效的访问令牌"), 401)
        return view(*args, **kwargs)

    return wrapper
