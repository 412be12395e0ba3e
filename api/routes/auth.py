"""POST /auth/token: username and password for a bearer token."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import PUBLIC, rule
from engine.auth import authenticate, issue_token

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in")


@blp.route("/token", methods=["POST"])
@rule(PUBLIC)
@blp.arguments(schemas.TokenRequest)
@blp.response(200, schemas.Token)
@blp.alt_response(401, schema=schemas.ErrorBody)
def token(args: dict[str, Any]) -> dict[str, Any]:
    """Exchange username and password for a bearer token (valid 12 hours)."""
    with engine().db.session() as s:
        who = authenticate(s, args["username"], args["password"])
    return {"token": issue_token(current_app.config["SECRET_KEY"], who), "username": who.username,
            "roles": list(who.roles), "groups": list(who.groups)}
