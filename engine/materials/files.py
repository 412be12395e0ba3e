"""The file store: uploaded materials as files named by their SHA-256 under one
directory (`var/files` unless configured). Content-addressed, so the same file uploaded
twice is stored once, a file is written before the row that names it is committed (a
failed command leaves at most an unreferenced file, never a row without its file), and
every read checks the content still has its hash."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from engine.errors import ReliefError


class FileStoreError(ReliefError):
    """A stored file is missing or no longer matches its hash (500: an operator's matter)."""

    status = 500
    code = "file_store"


class FileStore:
    """Files by SHA-256 under `root` (created when first written)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise FileStoreError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, content: bytes) -> str:
        """Store `content` (once) and return its SHA-256."""
        sha = hashlib.sha256(content).hexdigest()
        target = self.path(sha)
        if target.exists():
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a temporary file, then renamed: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha256: str) -> bytes:
        """The content stored under `sha256`, checked against it."""
        path = self.path(sha256)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise FileStoreError(f"stored file {sha256} is missing from {self.root}") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise FileStoreError(f"stored file {sha256} no longer matches its SHA-256")
        return content
