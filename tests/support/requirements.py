"""The requirement ids of REQUIREMENTS.md, the digest of the seed policies.

The team keeps the original beside the repository (`../shared/REQUIREMENTS.md`); a copy lives in
`docs/REQUIREMENTS.md` so that a fresh clone (CI) checks the same ids. `shared_copy()` finds the
original when it is there, so a test can insist the two are the same."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPY = ROOT / "docs" / "REQUIREMENTS.md"
_ROW = re.compile(r"^\| ([A-Z]-[A-Z0-9-]+) \|", re.M)


def shared_copy() -> Path | None:
    """`shared/REQUIREMENTS.md` beside the repository or beside its worktree folder, if any."""
    for parent in (ROOT.parent, ROOT.parent.parent):
        candidate = parent / "shared" / "REQUIREMENTS.md"
        if candidate.is_file():
            return candidate
    return None


def requirement_ids(path: Path = COPY) -> list[str]:
    """Every id of a requirement table row, in document order."""
    return _ROW.findall(path.read_text("utf-8"))


def requirement_text(req_id: str, path: Path = COPY) -> str:
    """The requirement's table row text (without the id)."""
    for line in path.read_text("utf-8").splitlines():
        if line.startswith(f"| {req_id} |"):
            return line.split("|", 2)[2]
    raise KeyError(req_id)


def cited(req_id: str, text: str) -> bool:
    """`text` names the id as a whole token, with '-' or '_' between its parts (J-T2F or J_T2F,
    but J-T2 is not cited by J_T2F)."""
    parts = req_id.split("-")
    pattern = r"(?<![A-Za-z0-9])" + r"[-_]".join(map(re.escape, parts)) + r"(?![A-Za-z0-9])"
    return re.search(pattern, text) is not None
