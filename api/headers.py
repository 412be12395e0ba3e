"""Security headers on every response, pages and API alike (issue 9, J-SEC).

The Content Security Policy allows scripts and styles only from this app's own files:
no inline script, no inline style, no CDN. Pages and the API docs load JavaScript
modules from /static and /assets; JSON answers need nothing at all. Responses to a
signed-in caller are never stored by a browser or proxy (they may hold personal data)."""

from __future__ import annotations

from flask import Flask, g, request
from werkzeug.wrappers import Response

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # the bpmn.io logo and the API docs' icons are data: URLs
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",  # addresses of cases never leave for other sites
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def install(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        signed_in = g.get("principal") is not None or g.get("worker") is not None
        if signed_in or response.mimetype == "text/html":
            # HTML pages carry the session's CSRF token; answers to a signed-in caller, personal data.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
