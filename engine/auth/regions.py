"""Administrative division codes (GB/T 2260, extended by the statistical division codes):
a county is 6 digits (320281 江阴市), a township 9 (320281100), a village 12 (320281100201).

Only the form is checked here (and that the first two digits name a province-level
division): the code list itself changes every year and is not shipped."""

from __future__ import annotations

import re

# Province-level divisions of GB/T 2260 (first two digits), Hong Kong, Macao and Taiwan included.
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82",
})
LEVELS = {6: "county", 9: "township", 12: "village"}
_DIGITS = re.compile(r"^[0-9]+$")


def region_problem(code: str) -> str | None:
    """Why `code` is not a GB/T 2260 division code, or None when it is one."""
    if not _DIGITS.match(code or "") or len(code) not in LEVELS:
        return f"'{code}' is not a GB/T 2260 division code (6 digits for a county, 9 for a township, 12 for a village)"
    if code[:2] not in PROVINCES:
        return f"'{code}' does not start with a province code of GB/T 2260 (e.g. 32 for Jiangsu)"
    return None


def level(code: str) -> str:
    """county, township or village, by the length of a valid code."""
    return LEVELS[len(code)]
