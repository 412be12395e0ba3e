"""Files handed out by the API and the pages (materials, notices): always as an attachment,
never rendered in the browser, with the type judged at upload and no sniffing."""

from __future__ import annotations

import io

from flask import Response, send_file


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    """`content` as a download named `filename` (RFC 6266/5987: Chinese names survive)."""
    response = send_file(io.BytesIO(content), mimetype=media_type, as_attachment=True, download_name=filename,
                         max_age=0, etag=False, conditional=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Personal documents: kept by no shared cache, nor by the browser's.
    response.headers["Cache-Control"] = "private, no-store"
    return response
