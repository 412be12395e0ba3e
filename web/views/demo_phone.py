"""`/demo/phone`: the texts one phone number received from the demo's SMS operator
(api/demo_phone.py), so that someone trying `relief demo` can read the application number
and the portal's sign-in code that a real applicant would read on their phone. Registered
only when RELIEF_DEMO_PHONE is on, which production mode refuses."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template, request
from wtforms import StringField
from wtforms.validators import DataRequired, Regexp

from api import demo_phone
from api.security import PUBLIC, rule
from web.forms import Form
from web.i18n import lazy_text as _l

blp = Blueprint("demo_phone", __name__, url_prefix="/demo")


class PhoneForm(Form):
    phone = StringField(_l("手机号码"), validators=[
        DataRequired(), Regexp(demo_phone.PHONE.pattern, message=_l("请输入 11 位手机号码"))])


@blp.get("/phone")
@rule(PUBLIC)
def phone() -> str:
    """A phone number to look at, and the texts it received, newest first."""
    form = PhoneForm(request.args)
    texts: list[dict[str, object]] = []
    asked = bool(request.args.get("phone"))
    if asked and form.validate():
        texts = [{**t, "received_at": dt.datetime.fromisoformat(t["received_at"])} for t in
                 demo_phone.received(current_app.extensions["relief_settings"].var_dir, form.phone.data)]
    return render_template("demo/phone.html", form=form, asked=asked, texts=texts)
