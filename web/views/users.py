"""Admin: the users of the installation (list with filters, add, edit roles, groups,
department and region, disable or enable, reset a password)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from api.security import current_principal, rule
from engine.auth import ROLES
from engine.auth.directory import UserFilter
from engine.auth.users import MIN_PASSWORD
from engine.errors import ValidationFailed
from web.forms import CheckboxesField, Form, NamesField, region_code
from web.i18n import lazy_text as _l
from web.nav import ROLE_LABELS
from web.pages import PAGE_SIZE, Page, engine, page_offset

blp = Blueprint("users", __name__, url_prefix="/admin/users")
ROLE_CHOICES = [SelectChoice(code, ROLE_LABELS[code]) for code in ROLES]
EVENT_LABELS = {
    "sign_in": _l("登录"), "sign_in_failed": _l("登录失败"), "locked_out": _l("登录失败次数过多，已锁定"),
    "sign_out": _l("退出"), "user_added": _l("添加账号"), "user_changed": _l("修改资料"),
    "user_disabled": _l("停用账号"), "user_enabled": _l("启用账号"), "password_set": _l("设置密码"),
}
_NAME = Regexp(r"^[A-Za-z0-9_.:-]*$", message=_l("只能包含字母、数字和 _ . : -"))


class FilterForm(Form):
    q = StringField(_l("用户名或姓名"), validators=[Optional(), Length(max=80)])
    role = SelectField(_l("角色"), choices=[SelectChoice("", _l("全部角色")), *ROLE_CHOICES], validators=[Optional()])
    group = StringField(_l("工作组"), validators=[Optional(), Length(max=80)])
    region = StringField(_l("区划代码（含下级）"), validators=[Optional(), Length(max=12)])
    status = SelectField(_l("状态"), choices=[SelectChoice("", _l("全部")), SelectChoice("active", _l("在用")),
                                           SelectChoice("disabled", _l("已停用"))],
                         validators=[Optional()])


# Made before ProfileForm's fields, so that it comes first in the new-user form (WTForms
# orders fields by creation, and the error summary lists them in that order).
_USERNAME = StringField(_l("用户名"), validators=[
    DataRequired(_l("请输入用户名")), Length(min=2, max=80, message=_l("用户名长度应为 2 至 80 个字符")),
    Regexp(r"^[A-Za-z0-9_.-]*$", message=_l("用户名只能包含字母、数字和 _ . -"))],
    render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"})


class ProfileForm(Form):
    display_name = StringField(_l("姓名（显示名）"), validators=[Length(max=120)])
    roles = CheckboxesField(_l("角色"), choices=ROLE_CHOICES,
                            validators=[DataRequired(_l("请至少选择一个角色"))])
    groups = NamesField(_l("工作组"), description=_l(
        "决定能办理哪些任务，多个用空格或逗号分隔，如 window county-centre dept:civil-affairs"))
    department = StringField(_l("部门代码"), validators=[Optional(), Length(max=80), _NAME],
                             description=_l("部门经办人员填写，如 civil-affairs"))
    region = StringField(_l("行政区划代码"), validators=[Optional(), region_code],
                         description=_l("GB/T 2260：县级 6 位，乡镇 9 位，村级 12 位，如 320281"))


class NewUserForm(ProfileForm):
    username = _USERNAME
    password = PasswordField(_l("初始密码"), validators=[
        DataRequired(_l("请输入初始密码")),
        Length(min=MIN_PASSWORD, max=200, message=_l("密码长度应为 %(n)d 至 200 个字符", n=MIN_PASSWORD))],
        description=_l("用户首次登录时须改为自己的密码"), render_kw={"autocomplete": "new-password"})


class ResetPasswordForm(Form):
    password = PasswordField(_l("新的临时密码"), validators=[
        DataRequired(_l("请输入新的临时密码")),
        Length(min=MIN_PASSWORD, max=200, message=_l("密码长度应为 %(n)d 至 200 个字符", n=MIN_PASSWORD))],
        description=_l("用户下次登录时须改为自己的密码；该用户的所有登录立即失效"),
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("再次输入"), validators=[
        DataRequired(_l("请再次输入新的临时密码")), EqualTo("password", _l("两次输入的密码不一致"))],
        render_kw={"autocomplete": "new-password"})


@blp.get("")
@rule("admin")
def index() -> str:
    """Users with filters, 50 a page."""
    form = FilterForm(request.args)
    form.validate()
    status = form.status.data
    f = UserFilter(text=(form.q.data or "").strip(), role=form.role.data or None, group=form.group.data or None,
                   region=(form.region.data or "").strip() or None,
                   active=None if not status else status == "active", limit=PAGE_SIZE, offset=page_offset())
    rows, total = engine().users.list(f)
    return render_template("users/list.html", form=form, page=Page(rows, total, f.offset))


@blp.route("/new", methods=["GET", "POST"])
@rule("admin")
def new() -> ResponseReturnValue:
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            engine().users.add(current_principal().username, form.username.data.strip(), form.password.data,
                               form.roles.data, form.groups.data, form.department.data.strip() or None,
                               form.region.data.strip() or None, form.display_name.data.strip(), temporary=True)
        except ValidationFailed as err:
            form.apply_engine_errors(err)
        else:
            flash(gettext("已添加用户 %(u)s。请将初始密码告知本人，首次登录时须修改。", u=form.username.data),
                  "success")
            return redirect(url_for("web.users.index"))
    return render_template("users/new.html", form=form), 400 if form.errors else 200


@blp.route("/<username>/edit", methods=["GET", "POST"])
@rule("admin")
def edit(username: str) -> ResponseReturnValue:
    user = engine().users.get(username)
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        try:
            engine().users.update(current_principal().username, username, form.display_name.data.strip(),
                                  form.roles.data, form.groups.data, form.department.data.strip() or None,
                                  form.region.data.strip() or None)
        except ValidationFailed as err:
            form.apply_engine_errors(err)
        else:
            flash(gettext("已保存 %(u)s 的资料。", u=username), "success")
            return redirect(url_for("web.users.edit", username=username))
    events = engine().users.events(username, limit=20)
    return render_template("users/edit.html", form=form, user=user, events=events, event_labels=EVENT_LABELS), \
        400 if form.errors else 200


@blp.post("/<username>/status")
@rule("admin")
def status(username: str) -> ResponseReturnValue:
    """Disable (every sign-in of the user ends at once) or enable an account."""
    active = request.form.get("active") == "on"
    try:
        engine().users.set_active(current_principal().username, username, active)
    except ValidationFailed:
        flash(gettext("不能停用自己的账号。"), "error")
    else:
        flash(gettext("已启用 %(u)s。", u=username) if active else
              gettext("已停用 %(u)s，其所有登录已失效。", u=username), "success")
    return redirect(url_for("web.users.edit", username=username))


@blp.route("/<username>/password", methods=["GET", "POST"])
@rule("admin")
def reset_password(username: str) -> ResponseReturnValue:
    user = engine().users.get(username)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        ended = engine().users.set_password(current_principal().username, username, form.password.data,
                                            temporary=True)
        flash(gettext("已重置 %(u)s 的密码（%(n)d 处登录已注销）。请将临时密码告知本人。", u=username, n=ended),
              "success")
        return redirect(url_for("web.users.edit", username=username))
    return render_template("users/password.html", form=form, user=user), 400 if form.errors else 200
