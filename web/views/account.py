"""The signed-in user's own account: change the password (other sign-ins end)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from api.security import AUTHENTICATED, FIRST_SIGN_IN, current_principal, rule
from engine.auth.users import MIN_PASSWORD
from engine.errors import ValidationFailed
from web.forms import Form
from web.i18n import lazy_text as _l
from web.pages import engine

blp = Blueprint("account", __name__, url_prefix="/account")


class PasswordForm(Form):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码"))],
                                     render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("新密码"), validators=[
        DataRequired(_l("请输入新密码")),
        Length(min=MIN_PASSWORD, max=200, message=_l("密码长度应为 %(n)d 至 200 个字符", n=MIN_PASSWORD))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("再次输入新密码"), validators=[
        DataRequired(_l("请再次输入新密码")), EqualTo("password", _l("两次输入的新密码不一致"))],
        render_kw={"autocomplete": "new-password"})


@blp.route("/password", methods=["GET", "POST"])
@rule(AUTHENTICATED, FIRST_SIGN_IN)
def password() -> ResponseReturnValue:
    """Change one's own password; every other session and token of the account ends."""
    form = PasswordForm()
    who = current_principal()
    if form.validate_on_submit():
        try:
            ended = engine().users.change_own_password(who.username, form.current_password.data,
                                                       form.password.data, keep=who.extra.get("session"))
        except ValidationFailed as err:
            form.apply_engine_errors(err)
        else:
            others = " " + gettext("其他设备上的 %(n)d 处登录已注销。", n=ended) if ended else ""
            flash(gettext("密码已修改。") + others, "success")
            return redirect("/")
    status = 400 if form.errors else 200
    return render_template("account/password.html", form=form), status
