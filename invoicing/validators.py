"""Checks of what merchants and finance type or upload for invoices (R70, R73)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015 统一社会信用代码: 18 characters of this alphabet (no I, O, Z, S, V); the
# 18th is a check character over the first 17.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_LENGTH = 18

TAXPAYER_ID_LENGTH = _("A unified social credit code has 18 characters; this one has %(count)d.")
TAXPAYER_ID_CHARACTERS = _(
    "A unified social credit code has only digits and capital letters, without I, O, Z, S "
    "or V: %(chars)s cannot appear in it."
)
TAXPAYER_ID_CHECK = _(
    "This unified social credit code is not valid (its check character does not match): "
    "please copy it again from the business licence."
)
INVOICE_NUMBER_INVALID = _("Enter the invoice number: 8 to 20 digits.")
TRACKING_NUMBER_INVALID = _("Enter the tracking number: 6 to 40 letters, digits or dashes.")

INVOICE_NUMBER = re.compile(r"^\d{8,20}$")
TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9-]{6,40}$")

PDF_MAX_BYTES = 10 * 1024 * 1024
NOT_A_PDF = _(
    "The uploaded file is not a PDF: upload the invoice's PDF file as exported from the tax system."
)
PDF_TOO_LARGE = _("The PDF is larger than 10 MB.")


def normalize_taxpayer_id(value: str) -> str:
    """Upper-case, without spaces: merchants paste codes in many shapes."""
    return re.sub(r"\s+", "", value or "").upper()


def credit_code_check_char(first17: str) -> str:
    """GB 32100-2015: 31 - (sum of weight x value mod 31), 31 written as 0."""
    total = sum(
        CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_taxpayer_id(value: str) -> None:
    """R70: 18 characters of the national alphabet with a valid check character."""
    code = normalize_taxpayer_id(value)
    if len(code) != CREDIT_CODE_LENGTH:
        raise ValidationError(
            TAXPAYER_ID_LENGTH, code="taxpayer_id_length", params={"count": len(code)}
        )
    bad = sorted({c for c in code if c not in CREDIT_CODE_CHARSET})
    if bad:
        raise ValidationError(
            TAXPAYER_ID_CHARACTERS, code="taxpayer_id_chars", params={"chars": " ".join(bad)}
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(TAXPAYER_ID_CHECK, code="taxpayer_id_check")


def validate_invoice_number(value: str) -> None:
    if not INVOICE_NUMBER.match(value or ""):
        raise ValidationError(INVOICE_NUMBER_INVALID, code="invoice_number")


def validate_tracking_number(value: str) -> None:
    if not TRACKING_NUMBER.match(value or ""):
        raise ValidationError(TRACKING_NUMBER_INVALID, code="tracking_number")


def verify_pdf(data: bytes) -> None:
    """R73: an electronic invoice is really a PDF: the %PDF- header and a %%EOF trailer near
    the end (PDF 1.7, 7.5.2 and 7.5.5), not a file named .pdf."""
    if len(data) > PDF_MAX_BYTES:
        raise ValidationError(PDF_TOO_LARGE, code="pdf_size")
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise ValidationError(NOT_A_PDF, code="not_a_pdf")
