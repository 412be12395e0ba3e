"""The applicant's sign-in on the portal and "我的申请" (J-PORTAL): a phone number and a
one-time code sent to it by SMS (engine/portal/applicants.py: hashed, expiring, worn out
by wrong tries; the POSTs rate-limited with the portal's other POSTs), then the list of the
cases whose applicant has that phone, each opening its progress page.

Separate from the staff sign-in: the applicant's sign-in is one key of the session cookie
(`APPLICANT`, the phone's keyed hash and an expiry), which no staff view reads; a staff
session has no such key, so it opens no applicant view, and signing in either way clears
the other. Nothing personal is cached (the portal blueprint's Cache-Control: no-store is
set here too)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from api import sessions
from api.security import PUBLIC, rule
from engine.errors import ValidationFailed
from engine.forms.validators import mask_phone
from web.forms import Form
from web.i18n import lazy_text as _l
from web.pages import engine
from web.views.portal import CASE, no_store

blp = Blueprint("portal_applicant", __name__, url_prefix="/portal")
APPLICANT = "portal_applicant"  # {"tokens": the phone's keyed hashes, "until": ISO time}
# The phone a code was just asked for, kept for step two (never written into a page; dropped
# at sign-in): the code page shows it masked.
PENDING = "portal_sign_in_phone"
SIGNED_IN_MINUTES = 30


blp.after_request(no_store)  # which cases a phone has is personal, as the portal's other pages


class PhoneForm(Form):
    phone = StringField(_l("手机号码"), validators=[DataRequired(_l("请输入手机号码")), Length(max=20)],
                        description=_l("申请时填写的手机号码，验证码将发送到这个号码"),
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})


class CodeForm(Form):
    code = StringField(_l("短信验证码"), validators=[DataRequired(_l("请输入验证码")), Length(max=6)],
                       description=_l("短信中的 6 位数字，10 分钟内有效"),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"})


def applicant_tokens() -> list[str] | None:
    """The signed-in applicant's phone tokens, or None (not signed in, or the sign-in expired)."""
    signed = session.get(APPLICANT)
    if not isinstance(signed, dict):
        return None
    try:
        until = dt.datetime.fromisoformat(str(signed.get("until")))
    except ValueError:
        return None
    if engine().wall_clock.now() >= until:  # real time: a demo's clock advance does not end it
        session.pop(APPLICANT, None)
        return None
    tokens = signed.get("tokens")
    return [str(t) for t in tokens] if isinstance(tokens, list) and tokens else None


def _begin(tokens: list[str]) -> None:
    """Sign the applicant in: a fresh session (no fixation; a staff sign-in in this browser ends)."""
    if current_user.is_authenticated:
        sessions.end()
    keep = {k: v for k, v in session.items() if k.startswith("pref_")}
    session.clear()  # the pending phone too
    session.update(keep)
    until = engine().wall_clock.now() + dt.timedelta(minutes=SIGNED_IN_MINUTES)
    session[APPLICANT] = {"tokens": tokens, "until": until.isoformat()}


def _code_page(form: CodeForm, refused: bool = False, status: int = 200) -> tuple[str, int]:
    form.code.data = ""  # never written back into the page
    return render_template("portal/sign_in_code.html", form=form, refused=refused,
                           masked=mask_phone(session.get(PENDING) or "")), status


@blp.route("/sign-in", methods=["GET", "POST"])
@rule(PUBLIC)
def sign_in() -> ResponseReturnValue:
    """Step one: the phone; a code goes to it if it has applied (the answer is the same if not)."""
    if applicant_tokens():
        return redirect(url_for("web.portal_applicant.mine"))
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            engine().send_sign_in_code(form.phone.data)
        except ValidationFailed:
            form.phone.errors = [gettext("请输入 11 位手机号码")]
        else:
            session[PENDING] = form.phone.data.strip()
            return _code_page(CodeForm(formdata=None))
    status = 422 if form.errors else 200
    return render_template("portal/sign_in.html", form=form), status


@blp.post("/sign-in/code")
@rule(PUBLIC)
def sign_in_code() -> ResponseReturnValue:
    """Step two: the code. One refusal whether the phone or the code was wrong."""
    form = CodeForm()
    phone = session.get(PENDING)
    if not isinstance(phone, str):
        return redirect(url_for("web.portal_applicant.sign_in"))  # no code asked for in this browser
    if not form.validate_on_submit():
        return _code_page(form, status=422)
    tokens = engine().check_sign_in_code(phone, form.code.data or "")
    if tokens is None:
        return _code_page(form, refused=True)
    _begin(tokens)
    return redirect(url_for("web.portal_applicant.mine"))


@blp.get("/mine")
@rule(PUBLIC)
def mine() -> ResponseReturnValue:
    """我的申请: the signed-in applicant's cases, newest first."""
    tokens = applicant_tokens()
    if tokens is None:
        return redirect(url_for("web.portal_applicant.sign_in"))
    return render_template("portal/mine.html", cases=engine().applicant_cases(tokens))


@blp.get("/mine/<business_key>")
@rule(PUBLIC)
def mine_case(business_key: str) -> ResponseReturnValue:
    """One of the applicant's cases: its progress page (404 for anyone else's)."""
    tokens = applicant_tokens()
    if tokens is None:
        return redirect(url_for("web.portal_applicant.sign_in"))
    instance_id = engine().applicant_case(tokens, business_key)
    if instance_id is None:
        abort(404)
    session[CASE] = instance_id
    return redirect(url_for("web.portal.case"))


@blp.post("/sign-out")
@rule(PUBLIC)
def sign_out() -> Response:
    """End the applicant's sign-in (and the case this browser had opened)."""
    session.pop(APPLICANT, None)
    session.pop(CASE, None)
    flash(gettext("已退出。"), "success")
    return redirect(url_for("web.portal.index"))

