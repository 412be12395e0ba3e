"""What an uploaded file is, from its content (magic bytes), never from its name: PDF,
JPEG and PNG are accepted; anything else, or a name that claims another type than the
content has (a disguised file), is refused naming the field."""

from __future__ import annotations

from pathlib import PurePosixPath

from engine.errors import ValidationFailed

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
ACCEPTED = (PDF, JPEG, PNG)
# What a file name's extension claims; a name without one of these claims nothing.
EXTENSIONS = {".pdf": PDF, ".jpg": JPEG, ".jpeg": JPEG, ".jpe": JPEG, ".png": PNG}
SUFFIX = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def sniff(content: bytes) -> str | None:
    """The media type `content` really is (PDF, JPEG or PNG), or None.

    Each test looks past the first bytes too, so that a text file starting with `%PDF-`
    or a truncated header is not taken for the real thing: a PDF ends with `%%EOF`
    (within its last kilobyte, as readers require), a PNG's first chunk is IHDR, a
    JPEG's start-of-image marker is followed by another marker."""
    if content.startswith(b"%PDF-") and b"%%EOF" in content[-1024:]:
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return PNG
    if content.startswith(b"\xff\xd8\xff") and len(content) > 4 and content[3] >= 0xC0:
        return JPEG
    return None


def clean_name(filename: str | None) -> str:
    """The file's own name without any directory part, at most 200 characters (it is
    shown and offered back as the download's name, never used as a path)."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"')
    return name[-200:] or "material"


def check(content: bytes, filename: str | None, max_bytes: int, field: str = "file") -> str:
    """The media type of an upload, or ValidationFailed naming `field`: empty, over
    `max_bytes`, not a PDF/JPEG/PNG by content, or named as another type than it is."""
    if not content:
        raise ValidationFailed(f"{field} is empty", {"fields": {field: ["the file is empty"]}})
    if len(content) > max_bytes:
        raise ValidationFailed(f"{field} is {len(content)} bytes; at most {max_bytes} bytes are accepted",
                               {"fields": {field: [f"larger than {max_bytes} bytes"]}, "max_bytes": max_bytes})
    kind = sniff(content)
    if kind is None:
        raise ValidationFailed(f"{field} is not a PDF, JPEG or PNG file (judged by its content, not its name)",
                               {"fields": {field: ["not a PDF, JPEG or PNG file"]}, "accepted": list(ACCEPTED)})
    claimed = EXTENSIONS.get(PurePosixPath(clean_name(filename)).suffix.lower())
    if claimed is not None and claimed != kind:
        raise ValidationFailed(f"{field} is named as {claimed} but its content is {kind} (a disguised file)",
                               {"fields": {field: [f"named {claimed}, content {kind}"]}})
    return kind
