"""The file store: uploaded materials as files named by their SHA-256 under one
directory (`var/files` unless configured). Content-addressed, so the same file uploaded
twice is stored once, a file is written before the row that names it is committed (a
failed command leaves at most an unreferenced file, never a row without its file), and
every read checks the content still has its hash."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from engine.errors import ReliefError


class FileStoreError(ReliefError):
    """A stored file is missing or no longer matches its hash (500: an operator's matter)."""

    status = 500
    code = "file_store"


def check_sha256(sha256: str) -> None:
    """Refuse anything but a lower-case hex SHA-256: only those name stored files."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise FileStoreError(f"not a SHA-256: {sha256!r}")


class MaterialStore(Protocol):
    """What the materials commands need of a file store: this directory store or the
    S3-compatible one (engine/materials/s3.py), the same behaviour behind both."""

    def put(self, content: bytes) -> str:
        """Store `content` whole (once) and return its SHA-256; nothing partial on failure."""
        ...

    def get(self, sha256: str) -> bytes:
        """The content stored under `sha256`, checked against it (FileStoreError otherwise)."""
        ...

    def stored(self) -> Iterator[str]:
        """The SHA-256 of every stored file."""
        ...


class FileStore:
    """Files by SHA-256 under `root` (created when first written)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the file of `sha256` is (or would be) kept."""
        check_sha256(sha256)
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

    def stored(self) -> Iterator[str]:
        """The SHA-256 of every stored file (temporary files of a write under way are not)."""
        if self.root.exists():
            for path in sorted(self.root.glob("??/*")):
                if path.is_file() and not path.name.startswith("."):
                    yield path.name
