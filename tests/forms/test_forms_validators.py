"""Resident ID numbers, mobile numbers and masking of personal data."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.forms.validators import (
    cn_id_check_digit,
    is_valid_cn_id_number,
    is_valid_cn_mobile,
    is_valid_email,
    mask_id_number,
    mask_phone,
    normalise_cn_id_number,
    normalise_cn_mobile,
)

TODAY = dt.date(2026, 11, 2)


@pytest.mark.parametrize("number", [
    "11010519491231002X",   # the GB 11643-1999 example, check character X
    "11010519491231002x",   # lowercase x is accepted
    "320281198506120019",   # Jiangyin region code, check digit 9
    "320281198506120027",
    "370481200002290030",   # Tengzhou, 29 February of a leap year
])
def test_X_FORMS_accepts_valid_id_numbers(number):
    assert is_valid_cn_id_number(number, today=TODAY)


@pytest.mark.parametrize("number, why", [
    ("110105194912310021", "check digit should be X"),
    ("320281198506120018", "check digit should be 9"),
    ("110101199003071234", "check digit should be 3"),
])
def test_X_FORMS_rejects_invalid_id_check_digit(number, why):
    assert not is_valid_cn_id_number(number, today=TODAY), why


@pytest.mark.parametrize("number, why", [
    ("370481200102290038", "29 February 2001 does not exist"),
    ("320281198513120011", "month 13"),
    ("440524188001010014", "born before 1900 (valid check digit)"),
    ("110105209912310010", "born in the future (valid check digit)"),
    ("010105194912310021", "region code starts with 0"),
    ("11010519491231002", "17 characters"),
    ("1101051949123100211", "19 characters"),
    ("11010519491231002Y", "check character not a digit or X"),
    ("１１０１０５１９４９１２３１００２X", "full-width digits"),
    (" 11010519491231002X", "surrounding blank"),
    ("", "empty"),
])
def test_X_FORMS_rejects_malformed_id_numbers(number, why):
    assert not is_valid_cn_id_number(number, today=TODAY), why


def test_X_FORMS_id_birth_date_may_be_today_but_not_tomorrow():
    first17 = "32028120261102001"
    number = first17 + cn_id_check_digit(first17)
    assert is_valid_cn_id_number(number, today=TODAY)
    assert not is_valid_cn_id_number(number, today=TODAY - dt.timedelta(days=1))


def test_X_FORMS_id_check_digit_needs_17_digits():
    assert cn_id_check_digit("11010519491231002") == "X"
    with pytest.raises(ValueError):
        cn_id_check_digit("1101051949123100")


def test_X_FORMS_id_number_normalised_to_upper_x():
    assert normalise_cn_id_number(" 11010519491231002x ") == "11010519491231002X"


def test_X_FORMS_non_string_id_is_invalid():
    assert not is_valid_cn_id_number(110105194912310021)  # type: ignore[arg-type]


@pytest.mark.parametrize("phone", ["13812345678", "19912345678", "+8613812345678", "+86 13812345678",
                                   "+86-15012345678"])
def test_X_FORMS_accepts_mainland_mobiles(phone):
    assert is_valid_cn_mobile(phone)


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "23812345678",
                                   "0510-86801234", "+85213812345678", "１３８１２３４５６７８", "",
                                   "8613812345678x"])
def test_X_FORMS_rejects_non_mobiles(phone):
    assert not is_valid_cn_mobile(phone)


def test_X_FORMS_mobile_normalised_without_prefix():
    assert normalise_cn_mobile("+86 13812345678") == "13812345678"
    assert normalise_cn_mobile("12345") == "12345"


@pytest.mark.parametrize("email, ok", [("clerk@jiangyin.gov.cn", True), ("a@b", False), ("a b@c.cn", False),
                                       ("@c.cn", False), ("a@@c.cn", False)])
def test_X_FORMS_email_check(email, ok):
    assert is_valid_email(email) is ok


def test_J_SEC_masks_id_number_keeping_region_and_last_four():
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_J_SEC_masks_phone_keeping_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("value", ["", "123", "123456789"])
def test_J_SEC_short_values_are_masked_entirely(value):
    # too short to keep both ends without revealing most of the value
    assert mask_id_number(value) == "*" * len(value)
    assert mask_phone(value) == "*" * len(value)


def test_J_SEC_a_15_digit_old_id_number_is_still_masked():
    assert mask_id_number("110105491231002") == "110105*****1002"
    assert mask_id_number("123456789012") == "*" * 12


def test_J_CH_WINDOW_cn_phone_takes_a_mobile_or_a_fixed_line_with_its_area_code() -> None:
    """Elderly applicants often have only a landline (issue 11): `cn-phone` accepts it; a number without
    its area code, or letters, is refused."""
    from engine.forms.validators import is_valid_cn_phone, normalise_cn_phone

    for good, normal in [("13912345678", "13912345678"), ("+86 13912345678", "13912345678"),
                         ("0510-86123456", "0510-86123456"), ("(010)62345678", "010-62345678"),
                         ("0632 5512345", "0632-5512345"), ("0510-86123456-8001", "0510-86123456-8001"),
                         ("0510-86123456转801", "0510-86123456-801")]:
        assert is_valid_cn_phone(good), good
        assert normalise_cn_phone(good) == normal, good
    for bad in ["8612345", "0510-123", "12345678901", "phone", "0510-0612345", ""]:
        assert not is_valid_cn_phone(bad), bad
