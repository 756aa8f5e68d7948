"""Login, logout, password change, profile (API tokens, log out everywhere) and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from training.core.errors import DomainError
from training.extensions import SUPPORTED_LOCALES, limiter
from training.org.forms import ChangePasswordForm, EmptyForm, LoginForm, TokenForm
from training.org.services import accounts

auth_bp = Blueprint("auth", __name__, template_folder="../templates")


def safe_next(target: str | None) -> str:
    """A same-site relative path to continue to, never an absolute or protocol-relative URL."""
    if not target:
        return url_for("dashboard.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("dashboard.home")
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@auth_bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.employee_no.data, form.password.data)
        except DomainError as error:
            flash(error.message, "error")
            return render_template("org/login.html", form=form), 401
        session.clear()
        session.permanent = True
        login_user(user)
        return redirect(safe_next(form.next.data))
    return render_template("org/login.html", form=form)


@auth_bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash(_("您已安全退出"), "info")
    return redirect(url_for("auth.login"))


@auth_bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            form.new_password.errors = [*form.new_password.errors, error.message]
        else:
            login_user(current_user._get_current_object())  # re-issue this session with the new version
            flash(_("密码已修改，其他设备上的登录已失效"), "success")
            return redirect(url_for("dashboard.home"))
    return render_template("org/change_password.html", form=form), 422 if form.errors else 200


@auth_bp.get("/account")
@login_required
def profile():
    return render_template("org/profile.html", tokens=accounts.list_api_tokens(current_user),
                           token_form=TokenForm(), empty_form=EmptyForm(), new_token=None)


@auth_bp.post("/account/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("请填写令牌名称"), "error")
        return redirect(url_for("auth.profile"))
    _record, token = accounts.create_api_token(current_user, form.name.data)
    return render_template("org/profile.html", tokens=accounts.list_api_tokens(current_user),
                           token_form=TokenForm(formdata=None), empty_form=EmptyForm(), new_token=token)


@auth_bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if EmptyForm().validate_on_submit():
        accounts.revoke_api_token(current_user, token_id)
        flash(_("令牌已撤销"), "success")
    return redirect(url_for("auth.profile"))


@auth_bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    if EmptyForm().validate_on_submit():
        accounts.logout_everywhere(current_user)
        logout_user()
        session.clear()
        flash(_("已在所有设备上退出登录"), "info")
    return redirect(url_for("auth.login"))


@auth_bp.post("/language")
def set_language():
    if EmptyForm().validate_on_submit() and request.form.get("lang") in SUPPORTED_LOCALES:
        session["lang"] = request.form["lang"]
    return redirect(safe_next(request.form.get("next")))
