"""Field checks for what a merchant types when applying (R11)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")

ALIPAY_ACCOUNT_INVALID = _(
    "Enter the Alipay account as a mainland mobile number (11 digits, e.g. 13800138000) "
    "or an e-mail address."
)
ALIPAY_NAME_INVALID = _(
    "Enter the name of the Alipay account holder (a person's real name or the company name), "
    "at most 100 characters."
)
PHONE_INVALID = _(
    "Enter a mainland mobile number (e.g. 13800138000) or a landline (e.g. 0571-88888888)."
)


def validate_alipay_account(value: str) -> None:
    """R11: an Alipay login is a mainland mobile number or an e-mail address."""
    value = (value or "").strip()
    if MOBILE.match(value):
        return
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(ALIPAY_ACCOUNT_INVALID, code="alipay_account") from None


def validate_phone(value: str) -> None:
    value = (value or "").strip()
    if not (MOBILE.match(value) or LANDLINE.match(value)):
        raise ValidationError(PHONE_INVALID, code="phone")


def validate_alipay_name(value: str) -> None:
    """R114: the payee name on the provider's bulk-transfer file: printable text, no
    separators or control characters that would break the file's row."""
    value = (value or "").strip()
    if not value or len(value) > 100 or any(not c.isprintable() or c in ',;"' for c in value):
        raise ValidationError(ALIPAY_NAME_INVALID, code="alipay_name")
