"""`/`: the sign-in page for a visitor, the home page (role-aware) once signed in; and
the display preferences in the header (language, large-font mode)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session
from werkzeug.wrappers import Response

from api.security import FIRST_SIGN_IN, PUBLIC, STAFF, rule
from engine import queries
from web.nav import areas_for
from web.pages import engine, principal, safe_next
from web.views.auth import SignInForm

blp = Blueprint("home", __name__)
URGENT_ROWS = 10


@blp.get("/")
@rule(PUBLIC)
def index() -> str:
    """Home for who is signed in (what their role does), the sign-in form for anyone else."""
    who = principal()
    if who is None:
        return render_template("auth/sign_in.html", form=SignInForm())
    urgent = None
    if who.has_role(*STAFF) and not who.is_admin:
        # The query of GET /api/v1/tasks: open tasks offered to the user's groups within their
        # scope (engine/auth/scope.py), soonest deadline first.
        urgent = engine().tasks_for(who, queries.TaskFilter(offered=True, limit=URGENT_ROWS))
    return render_template("home.html", areas=areas_for(who), urgent=urgent)


@blp.post("/preferences")
@rule(PUBLIC, FIRST_SIGN_IN)
def preferences() -> Response:
    """Switch the language or large-font mode: kept for this browser, and for the user when signed in."""
    changed: dict[str, object] = {}
    if (locale := request.form.get("locale")) in ("zh_CN", "en"):
        changed["locale"] = locale
    if (large := request.form.get("large_font")) in ("on", "off"):
        changed["large_font"] = large == "on"
    for key, value in changed.items():
        session[f"pref_{key}"] = value
    who = principal()
    if changed and who is not None:
        engine().users.set_preferences(who.username, **changed)
    return redirect(safe_next(request.form.get("next")))
