"""Chinese personal-data formats: resident ID numbers, mobile numbers, and their masks.

ID numbers and phones are personal data (J-SEC, GB/T 37973): lists and logs show
them only masked.
"""

from __future__ import annotations

import datetime as dt
import re

# GB 11643-1999: weights of the first 17 digits for the ISO 7064 MOD 11-2 check digit
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# [0-9] rather than \d: \d also matches full-width and other Unicode digits
_ID_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9X]")
_MOBILE = re.compile(r"(?:\+86[ -]?)?(1[3-9][0-9]{9})")
# a fixed line: area code 0 + 2-3 digits, a local number of 7-8 digits, an optional extension
_LANDLINE = re.compile(r"(?:\(?(0[1-9][0-9]{1,2})\)?[ -]?)([2-9][0-9]{6,7})(?:[ -]?(?:转|ext\.?|-)?([0-9]{1,5}))?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_EARLIEST_BIRTH = dt.date(1900, 1, 1)
# China has one time zone and no daylight saving: a fixed offset is exact
_CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


def normalise_cn_id_number(value: str) -> str:
    """`value` without surrounding blanks and with a lowercase check letter x upper-cased."""
    return value.strip().upper()


def cn_id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character ("0"-"9" or "X") for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_cn_id_number(value: str, *, today: dt.date | None = None) -> bool:
    """Whether `value` is an 18-character PRC resident ID number (GB 11643-1999).

    Checks the shape (region code not starting with 0), a real birth date between
    1900-01-01 and `today` (default: today's date in China), and the MOD 11-2 check
    character. A lowercase `x` is accepted; surrounding blanks are not.
    """
    if not isinstance(value, str):
        return False
    candidate = value.upper()
    if _ID_SHAPE.fullmatch(candidate) is None:
        return False
    try:
        birth = dt.date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        return False
    if birth < _EARLIEST_BIRTH or birth > (today or dt.datetime.now(_CHINA).date()):
        return False
    return cn_id_check_digit(candidate[:17]) == candidate[17]


def normalise_cn_mobile(value: str) -> str:
    """The 11-digit number of a mainland mobile, without a +86 prefix; `value` if not one."""
    match = _MOBILE.fullmatch(value.strip())
    return match.group(1) if match else value


def is_valid_cn_mobile(value: str) -> bool:
    """Whether `value` is a mainland mobile number `1[3-9]` + 9 digits, optionally after +86."""
    return isinstance(value, str) and _MOBILE.fullmatch(value) is not None


def is_valid_cn_phone(value: str) -> bool:
    """A mainland mobile, or a fixed line with its area code (0510-86123456, (010)12345678 转 123):
    many elderly applicants have only a landline (format `cn-phone`)."""
    return is_valid_cn_mobile(value) or (isinstance(value, str) and _LANDLINE.fullmatch(value) is not None)


def normalise_cn_phone(value: str) -> str:
    """A mobile as its 11 digits; a fixed line as AREA-NUMBER[-EXT]; else `value`."""
    value = value.strip()
    if is_valid_cn_mobile(value):
        return normalise_cn_mobile(value)
    match = _LANDLINE.fullmatch(value)
    if match is None:
        return value
    area, number, ext = match.groups()
    return f"{area}-{number}" + (f"-{ext}" if ext else "")


def is_valid_email(value: str) -> bool:
    """A deliberately loose e-mail check (one @, a dotted domain, no blanks, at most 254 chars)."""
    return isinstance(value, str) and len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def _mask(value: str, keep_start: int, keep_end: int) -> str:
    # too short to keep anything without revealing most of it: mask it all
    if len(value) <= keep_start + keep_end + 2:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end:]


def mask_id_number(value: str) -> str:
    """`110101199003071234` → `110101********1234`: region code and last four kept (J-SEC)."""
    return _mask(value, 6, 4)


def mask_phone(value: str) -> str:
    """`13812345678` → `138****5678`: first three and last four digits kept (J-SEC)."""
    return _mask(value, 3, 4)
