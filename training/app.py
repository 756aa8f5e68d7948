"""The composition root (layer L4): ``create_app`` wires config, extensions, blueprints and error pages."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy import event
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from training import navigation
from training.blueprints import register_all
from training.certification.services import events as certification_events
from training.cli import register_cli
from training.config import load_config
from training.core import api as api_core
from training.core.errors import DomainError
from training.core.markdown import render_inline_markdown, render_markdown
from training.core.security import HttpsAwareSessionInterface, add_security_headers
from training.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale
from training.org.services.accounts import load_session_user, user_for_bearer_token

PACKAGE_ROOT = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides what the environment gives (tests pass their database here)."""
    app = Flask("training", instance_relative_config=True, root_path=str(PACKAGE_ROOT))
    app.config.update(load_config(Path(app.instance_path)))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PACKAGE_ROOT / "translations")
    if config:
        app.config.update(config)
    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.session_interface = HttpsAwareSessionInterface()
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_cli(app)
    app.after_request(add_security_headers)
    app.context_processor(navigation.template_context)
    # Markdown from the database (question stems, options, explanations) is rendered and sanitized here.
    app.jinja_env.filters["markdown"] = lambda text: Markup(render_markdown(text or ""))
    app.jinja_env.filters["markdown_inline"] = lambda text: Markup(render_inline_markdown(text or ""))
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE_ROOT.parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user_from_session)
    login_manager.request_loader(_load_user_from_bearer)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    app.before_request(_protect_api_writes)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL for concurrent readers, enforced foreign keys, a busy timeout instead of 'database is locked', and
    reads through a memory map (shared by every connection of the host) plus a 16 MB page cache per connection,
    so random reads of a large bank (drawing papers) do not go through a read() call per page."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.execute("PRAGMA cache_size=-16000")
    cursor.close()


def _load_user_from_session(session_id: str):
    # An API call that presents a bearer token is judged by the token alone, never by a cookie.
    if api_core.is_api_request() and api_core.bearer_token():
        return None
    return load_session_user(session_id)


def _load_user_from_bearer(_request):
    token = api_core.bearer_token() if api_core.is_api_request() else None
    return user_for_bearer_token(token) if token else None


API_CSRF_EXEMPT = {"org_api.issue_token"}


def _protect_api_writes() -> None:
    """The API blueprints are exempt from the form CSRF hook; a cookie-authenticated write to them must
    still carry the CSRF token (``X-CSRFToken`` header). Bearer-token calls carry no cookie to abuse."""
    if (api_core.is_api_request() and request.method not in ("GET", "HEAD", "OPTIONS")
            and not api_core.bearer_token() and request.endpoint not in API_CSRF_EXEMPT):
        csrf.protect()


def _register_blueprints(app: Flask) -> None:
    register_all(app)
    certification_events.connect()


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if api_core.is_api_request():
            return api_core.json_error("csrf_failed", _("安全校验失败，请刷新页面后重试"), 400)
        return render_template("errors/error.html", status=400, title=_("安全校验失败"),
                               message=_("页面已过期或请求来源无法确认，请刷新页面后重试。")), 400

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        if api_core.is_api_request():
            return api_core.domain_error_response(error)
        return render_template("errors/error.html", status=error.http_status, title=_("无法完成操作"),
                               message=error.message), error.http_status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if api_core.is_api_request():
            return api_core.http_error_response(error)
        status = error.code or 500
        titles = {400: _("请求无效"), 403: _("没有权限"), 404: _("页面不存在"), 405: _("不支持该操作"),
                  413: _("文件太大"), 429: _("操作过于频繁")}
        messages = {403: _("您没有访问此页面的权限。如需开通，请联系本单位组织人事部门或系统管理员。"),
                    404: _("您访问的页面不存在，或已被移除。"),
                    429: _("请求次数过多，请稍等一会儿再试。")}
        return render_template("errors/error.html", status=status, title=titles.get(status, _("出错了")),
                               message=messages.get(status, "")), status

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if api_core.is_api_request():
            return api_core.json_error("internal_error", _("服务器内部错误，请稍后重试"), 500)
        return render_template("errors/error.html", status=500, title=_("系统出错了"),
                               message=_("服务器处理请求时出现问题，已记录日志。请稍后重试。")), 500

    @login_manager.unauthorized_handler
    def unauthorized():
        if api_core.is_api_request():
            return api_core.json_error("unauthorized", _("请先登录或提供有效的访问令牌"), 401)
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))

    @app.before_request
    def force_password_change():
        allowed = {"auth.change_password", "auth.logout", "static", "health.healthz", "auth.set_language"}
        # Cheap checks first: API calls and allowed pages never load the user here.
        if (not api_core.is_api_request() and request.endpoint not in allowed
                and current_user.is_authenticated and current_user.must_change_password):
            return redirect(url_for("auth.change_password"))
        return None


def _register_cli(app: Flask) -> None:
    register_cli(app)
