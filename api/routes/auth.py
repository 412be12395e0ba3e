"""POST /auth/token: username and password for a bearer token; POST /auth/revoke ends it."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import AUTHENTICATED, FIRST_SIGN_IN, PUBLIC, current_principal, rule
from engine.auth import issue_token
from engine.errors import Forbidden

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in")


@blp.route("/token", methods=["POST"])
@rule(PUBLIC)
@blp.arguments(schemas.TokenRequest)
@blp.response(200, schemas.Token)
@blp.alt_response(401, schema=schemas.ErrorBody)
@blp.alt_response(403, schema=schemas.ErrorBody)
@blp.alt_response(429, schema=schemas.ErrorBody, description="locked out after repeated failures, or too "
                  "many requests from this address: `Retry-After` and `details.retry_after_seconds` say when")
def token(args: dict[str, Any]) -> dict[str, Any]:
    """Exchange username and password for a bearer token (valid 12 hours, until revoked).
    Five failures in a row lock the account for 15 minutes (and many failures, the address)."""
    signed_in = engine().users.sign_in(args["username"], args["password"], "token", request.remote_addr)
    who = signed_in.principal
    if signed_in.must_change_password:
        engine().users.sign_out(who.extra["session"], who.username, request.remote_addr)
        raise Forbidden("this account must choose its own password first: sign in on the web once",
                        {"password_change_required": True})
    return {"token": issue_token(current_app.config["SECRET_KEY"], signed_in.secret), "username": who.username,
            "roles": list(who.roles), "groups": list(who.groups)}


@blp.route("/revoke", methods=["POST"])
@rule(AUTHENTICATED, FIRST_SIGN_IN)
@blp.response(204)
@blp.alt_response(401, schema=schemas.ErrorBody)
def revoke() -> None:
    """End the sign-in the request is made with (bearer token or session): it is refused from now on."""
    who = current_principal()
    engine().users.sign_out(who.extra["session"], who.username, request.remote_addr)
