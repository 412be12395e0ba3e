"""Read a CSV of users: username, display name, roles, groups, department, region.

Every bad row is reported (file, row, field, what is wrong) and nothing is imported
unless every row is good. Excel on a Chinese Windows saves CSV as GB 18030, elsewhere
as UTF-8 (often with a BOM): both are read. Several roles or groups in one cell are
separated by `;` (or `|`, `；`, `、`); a role may be given by its code or its Chinese name."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from engine.auth.principal import ROLES
from engine.auth.users import _USERNAME, field_problems
from engine.errors import ValidationFailed

MAX_ROWS = 5000
# Column: accepted header names (English, or the Chinese a county's spreadsheet uses).
COLUMNS = {
    "username": ("username", "用户名", "账号"),
    "display_name": ("display_name", "display name", "姓名", "显示名"),
    "roles": ("roles", "角色"),
    "groups": ("groups", "工作组", "组"),
    "department": ("department", "部门"),
    "region": ("region", "区划代码", "行政区划"),
}
_SPLIT = re.compile(r"[;|；、]")
_ROLE_BY_LABEL = {label: code for code, label in ROLES.items()}


@dataclass
class ImportRow:
    line: int
    username: str
    display_name: str = ""
    roles: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    department: str | None = None
    region: str | None = None


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB 18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _cells(value: str | None) -> list[str]:
    return [v.strip() for v in _SPLIT.split(value or "") if v.strip()]


def parse(text: str, filename: str, existing: set[str]) -> list[ImportRow]:
    """The rows of the file; ValidationFailed listing every problem (one per row and field)."""
    problems: list[dict[str, object]] = []

    def problem(line: int, column: str, message: str) -> None:
        problems.append({"file": filename, "line": line, "element": column, "message": message})

    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    where: dict[str, int] = {}
    for column, names in COLUMNS.items():
        found = [i for i, h in enumerate(header) if h in names]
        if found:
            where[column] = found[0]
        elif column in ("username", "roles"):
            problem(1, column, f"the header has no '{column}' column (columns: {', '.join(COLUMNS)})")
    if problems:
        raise ValidationFailed(f"{filename}: the header row is incomplete", {"problems": problems})
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            problem(line, "username", f"at most {MAX_ROWS} users per file")
            break

        def cell(column: str, cells: list[str] = cells) -> str:
            i = where.get(column)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        row = ImportRow(line, cell("username"), cell("display_name"),
                        [_ROLE_BY_LABEL.get(r, r) for r in _cells(cell("roles"))], _cells(cell("groups")),
                        cell("department") or None, cell("region") or None)
        if not _USERNAME.match(row.username):
            problem(line, "username", f"'{row.username}' is not a username (2-80 letters, digits, '_', '.' or '-')")
        elif row.username in existing:
            problem(line, "username", f"'{row.username}' already exists")
        elif row.username in seen:
            problem(line, "username", f"'{row.username}' is already on row {seen[row.username]}")
        seen.setdefault(row.username, line)
        for column, messages in field_problems(row.roles, row.groups, row.department, row.region,
                                               row.display_name).items():
            for message in messages:
                problem(line, column, message)
        rows.append(row)
    if not rows and not problems:
        problem(2, "username", "the file has no users")
    if problems:
        raise ValidationFailed(f"{filename}: {len(problems)} problem(s), nothing imported", {"problems": problems})
    return rows
