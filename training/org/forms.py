"""WTForms of the organisation package (CSRF comes with FlaskForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from training.org.constants import DEPARTMENT_KIND_LABELS, RANK_NAMES, ROLE_LABELS


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state (microblog's EmptyForm)."""


class LoginForm(FlaskForm):
    employee_no = StringField(_l("账号（工号）"), validators=[DataRequired(), Length(max=32)],
                              render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("新密码（至少 12 个字符）"), validators=[DataRequired(), Length(max=256)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("再次输入新密码"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("两次输入的密码不一致"))],
                            render_kw={"autocomplete": "new-password"})


class TokenForm(FlaskForm):
    name = StringField(_l("令牌名称（用途）"), validators=[DataRequired(), Length(max=64)])


class DepartmentForm(FlaskForm):
    code = StringField(_l("部门编码"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("部门名称"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("类型"), choices=[(str(k), v) for k, v in DEPARTMENT_KIND_LABELS.items()])
    parent_id = SelectField(_l("上级部门"), coerce=int, choices=[])
    is_active = BooleanField(_l("启用"), default=True)


class UserForm(FlaskForm):
    employee_no = StringField(_l("工号"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=64)])
    department_id = SelectField(_l("所在部门"), coerce=int, choices=[])
    rank = SelectField(_l("职级"), choices=[(r, r) for r in RANK_NAMES])
    position = StringField(_l("职务"), validators=[Optional(), Length(max=64)])
    email = EmailField(_l("电子邮箱（用于通知，可不填）"), validators=[Optional(), Length(max=120), Regexp(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("请输入有效的电子邮箱地址"))])


class GrantRoleForm(FlaskForm):
    role = SelectField(_l("角色"), choices=[(str(k), v) for k, v in ROLE_LABELS.items() if k != "learner"])
    department_id = SelectField(_l("管辖范围"), coerce=int, choices=[])


class RosterUploadForm(FlaskForm):
    file = FileField(_l("花名册文件（.xlsx）"),
                     validators=[FileRequired(), FileAllowed(["xlsx"], _l("请上传 .xlsx 格式的文件"))])


class RosterCommitForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("工号或姓名"), validators=[Optional()])
    department_id = SelectField(_l("部门"), coerce=int, choices=[], validators=[Optional()])
    inactive = BooleanField(_l("包括已停用"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("操作人工号"), validators=[Optional()])
    action = StringField(_l("操作"), validators=[Optional()])
    object_type = StringField(_l("对象类型"), validators=[Optional()])
    since = StringField(_l("起始日期"), validators=[Optional()], render_kw={"type": "date"})
    until = StringField(_l("截止日期"), validators=[Optional()], render_kw={"type": "date"})
