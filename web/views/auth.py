"""Sign in and sign out (session cookie; the server-side session ends on sign-out)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from api import sessions
from api.security import AUTHENTICATED, FIRST_SIGN_IN, PUBLIC, rule
from engine.errors import TooManyAttempts, Unauthorized
from web.forms import Form
from web.i18n import lazy_text as _l
from web.pages import engine, principal, safe_next

blp = Blueprint("auth", __name__)


class SignInForm(Form):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=80)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


def lockout_message(err: TooManyAttempts) -> str:
    """When to try again, in the page's language and the office's time zone."""
    retry_at = dt.datetime.fromisoformat(err.details["retry_at"])
    minutes = max(1, round(err.details["retry_after_seconds"] / 60))
    if err.details.get("scope") == "address":
        text = gettext("此电脑（网络地址）登录失败次数过多，已暂停登录。请于 %(time)s 后再试（约 %(n)d 分钟）。",
                       time=retry_at.strftime("%H:%M"), n=minutes)
    else:
        text = gettext("该账号连续登录失败次数过多，已临时锁定。请于 %(time)s 后再试（约 %(n)d 分钟），"
                       "或请系统管理员重置密码。", time=retry_at.strftime("%H:%M"), n=minutes)
    return text


@blp.route("/sign-in", methods=["GET", "POST"])
@rule(PUBLIC, FIRST_SIGN_IN)
def sign_in() -> ResponseReturnValue:
    """The sign-in form; on success, the page asked for before (`next`) or the home page."""
    if request.method == "GET" and principal() is not None:
        return redirect(safe_next(request.args.get("next")))
    form = SignInForm()
    notice, status = None, 200
    if form.validate_on_submit():
        try:
            signed_in = engine().users.sign_in(form.username.data.strip(), form.password.data, "web",
                                               request.remote_addr)
        except TooManyAttempts as err:
            notice, status = lockout_message(err), 429
        except Unauthorized as err:
            status = 401
            if err.details.get("disabled"):
                notice = gettext("该账号已停用。如需恢复，请联系系统管理员。")
            else:
                left = err.details.get("attempts_left")
                text = gettext("用户名或密码不正确。")
                if left is not None and left <= 3:
                    text += " " + ngettext("再错 %(num)d 次，账号将被临时锁定。",
                                           "再错 %(num)d 次，账号将被临时锁定。", left)
                form.password.errors = [text]
        else:
            keep = {k: v for k, v in session.items() if k.startswith("pref_")}
            sessions.begin(signed_in, keep)
            if signed_in.must_change_password:
                flash(gettext("这是管理员为您设置的临时密码，请先设置您自己的密码。"), "warning")
                return redirect(url_for("web.account.password"))
            return redirect(safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/sign_in.html", form=form, notice=notice), status


@blp.post("/sign-out")
@rule(AUTHENTICATED, FIRST_SIGN_IN)
def sign_out() -> ResponseReturnValue:
    """End the session here and on the server (a copy of the cookie is refused too)."""
    who = principal()
    keep = {k: v for k, v in session.items() if k.startswith("pref_")}
    if who is not None:  # the sign-in page stays in the user's language and font size
        keep.update({f"pref_{k}": v for k, v in who.extra.get("preferences", {}).items()})
    sessions.end()
    session.update(keep)
    flash(gettext("您已安全退出。"), "success")
    return redirect(url_for("web.auth.sign_in"))
