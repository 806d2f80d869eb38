"""R70: the taxpayer id is a unified social credit code (统一社会信用代码, GB 32100-2015):
18 characters of 0-9 and A-Z without I, O, Z, S, V; the 18th is the check character
31 - (sum of weight_i x value_i over the first 17, mod 31), with 31 written as 0."""

import pytest
from django.core.exceptions import ValidationError

from invoicing.validators import (
    credit_code_check_char,
    normalize_taxpayer_id,
    validate_taxpayer_id,
)

# Each computed here by hand from the formula (the values are made up, not real companies):
VALID = [
    # The sample code found in guides to the standard: the weighted sum of its first 17
    # characters is 1640; 1640 mod 31 = 28; 31 - 28 = 3 (see the formula test below).
    "91350100M000100Y43",
    "91330106MA2GL0000K",  # a company (9 1) in Hangzhou Xihu district (330106)
    "12100000400000626K",  # a public institution (1 2), national level (100000)
    "91440300MA5G0XXX11",  # Shenzhen (440300): check value 1
    "91310115MA1H7ABC80",  # Shanghai Pudong (310115): 31 - 0 = 31, written as 0
]


@pytest.mark.parametrize("code", VALID)
def test_R70_valid_codes_pass(code):
    validate_taxpayer_id(code)


def test_R70_the_check_character_formula():
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "91350100M000100Y4"
    total = sum(charset.index(c) * w for c, w in zip(first17, weights, strict=True))
    assert total == 1640 and 31 - total % 31 == 3
    assert credit_code_check_char(first17) == "3"
    # 91310115MA1H7ABC8: the sum is a multiple of 31, so 31 - 0 = 31, written "0".
    assert (
        sum(charset.index(c) * w for c, w in zip("91310115MA1H7ABC8", weights, strict=True)) % 31
        == 0
    )
    assert credit_code_check_char("91310115MA1H7ABC8") == "0"


def test_R70_lower_case_and_spaces_are_normalised_first():
    assert normalize_taxpayer_id(" 91330106ma2gl0000k ") == "91330106MA2GL0000K"
    assert normalize_taxpayer_id("9133 0106 MA2G L000 0K") == "91330106MA2GL0000K"
    validate_taxpayer_id("91330106ma2gl0000k")


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91330106MA2GL0000J", "taxpayer_id_check"),  # check character K, not J
        ("91350100M000100Y44", "taxpayer_id_check"),  # the sample with a wrong check digit
        ("91330106MA2GL0000", "taxpayer_id_length"),  # 17 characters
        ("91330106MA2GL0000KK", "taxpayer_id_length"),  # 19 characters
        ("", "taxpayer_id_length"),
        ("91330106MA2GL000IK", "taxpayer_id_chars"),  # I is not in the alphabet
        ("91330106MA2GLO000K", "taxpayer_id_chars"),  # O
        ("91330106MA2GZ0000K", "taxpayer_id_chars"),  # Z
        ("91330106MA2GS0000K", "taxpayer_id_chars"),  # S
        ("91330106MA2GV0000K", "taxpayer_id_chars"),  # V
        ("91330106MA2G-0000K", "taxpayer_id_chars"),  # punctuation
        ("913301０6MA2GL0000K", "taxpayer_id_chars"),  # a full-width digit
    ],
)
def test_R70_invalid_codes_are_refused_with_a_clear_reason(code, error):
    with pytest.raises(ValidationError) as caught:
        validate_taxpayer_id(code)
    assert caught.value.code == error
