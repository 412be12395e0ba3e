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


# (lower-case name, name, value): compared with the response's own headers without
# lower-casing these again on every response.
_DEFAULTS = tuple((name.lower(), name, value) for name, value in HEADERS.items())
_NO_STORE = (("cache-control", "Cache-Control", "no-store"), ("pragma", "Pragma", "no-cache"))


def install(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        # One pass over the response's headers, then one append: werkzeug's `setdefault` and
        # item assignment each scan and lower-case every header, which for these eight cost
        # about a tenth of a small API request's overhead (profiled for issue 15).
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        added = [(name, value) for lower, name, value in _DEFAULTS if lower not in present]
        if request.is_secure and "strict-transport-security" not in present:
            added.append(("Strict-Transport-Security", "max-age=31536000"))
        context = g._get_current_object()  # one look-up of the proxy, not one per attribute
        signed_in = context.get("principal") is not None or context.get("worker") is not None
        if signed_in or response.mimetype == "text/html":
            # HTML pages carry the session's CSRF token; answers to a signed-in caller, personal data.
            for lower, name, value in _NO_STORE:
                if lower in present:
                    headers[name] = value  # replaces what a view set
                else:
                    added.append((name, value))
        headers.extend(added)
        return response
