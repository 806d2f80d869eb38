"""R114: the payment provider's files.

The bulk-transfer file finance uploads to the provider (one row per payout) and the result
file the provider gives back. Both are CSV, UTF-8 (a BOM is written, and accepted), comma
separated, with a header row; the README documents the columns.

Bulk-transfer file (`TRANSFER_COLUMNS`): reference, payee_account, payee_name, amount, memo.
Result file (`RESULT_COLUMNS`, any order, other columns ignored): reference, status
(settled | failed), amount (as sent), provider_reference, reason (required when failed),
completed_at (optional, ISO 8601 with offset; the import time when empty).
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TRANSFER_COLUMNS = ["reference", "payee_account", "payee_name", "amount", "memo"]
RESULT_COLUMNS = ["reference", "status", "amount", "provider_reference", "reason", "completed_at"]
REQUIRED_RESULT_COLUMNS = ["reference", "status", "amount", "provider_reference"]
MAX_RESULT_BYTES = 5 * 1024 * 1024
MAX_RESULT_ROWS = 20_000

NOT_UTF8 = _("The file is not UTF-8 text. Save it from the provider's portal as CSV (UTF-8).")
TOO_BIG = _("The file is larger than 5 MB.")
TOO_MANY_ROWS = _("The file has more than 20,000 rows.")
EMPTY_FILE = _("The file has no rows below its header.")
MISSING_COLUMNS = _("The header lacks the column(s) %(columns)s.")
NOT_CSV = _("The file is not a readable CSV file.")
ROW = _("Row %(row)s: %(problem)s")
BAD_STATUS = _('status must be "settled" or "failed", not "%(value)s"')
BAD_AMOUNT = _('amount must be a decimal amount such as "199.00", not "%(value)s"')
BAD_TIME = _('completed_at must be an ISO 8601 time with offset, such as "%(example)s"')
NO_REFERENCE = _("reference is empty")
NO_PROVIDER_REFERENCE = _("provider_reference is empty")
NO_REASON = _("a failed payout needs a reason")
TOO_LONG = _("%(column)s is longer than %(limit)s characters")
TIME_EXAMPLE = "2026-12-01T10:00:00+08:00"


@dataclass(frozen=True)
class ResultRow:
    row: int  # the line of the file (the header is row 1)
    reference: str
    status: str
    amount: Decimal
    provider_reference: str
    reason: str
    completed_at: dt.datetime | None


def transfer_file(items) -> bytes:
    """The bulk-transfer file of a batch's items (an iterable of PayoutItem with payout,
    claim and refund read with them)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TRANSFER_COLUMNS)
    for item in items:
        refund_id = item.payout.claim.refund.platform_refund_id
        memo = f"Warranty+ claim {refund_id}"
        writer.writerow([item.reference, item.payee_account, item.payee_name, item.amount, memo])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _row_error(row: int, problem) -> str:
    return str(ROW % {"row": row, "problem": problem})


def _decode(content: bytes) -> str:
    if len(content) > MAX_RESULT_BYTES:
        raise ValidationError(TOO_BIG, code="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(NOT_UTF8, code="file") from None
    if "\x00" in text:
        raise ValidationError(NOT_CSV, code="file")
    return text


def _amount(value: str):
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or amount <= 0:
        return None
    return amount.quantize(Decimal("0.01"))


def _time(value: str):
    value = value.strip()
    if not value:
        return None, True
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None, False
    if parsed.tzinfo is None:
        return None, False
    return parsed.astimezone(dt.UTC), True


def _parse_row(number: int, record: dict, errors: list) -> ResultRow | None:
    values = {k: (record.get(k) or "").strip() for k in RESULT_COLUMNS}
    problems = []
    if not values["reference"]:
        problems.append(NO_REFERENCE)
    status = values["status"].lower()
    if status not in ("settled", "failed"):
        problems.append(BAD_STATUS % {"value": values["status"][:40]})
    amount = _amount(values["amount"])
    if amount is None:
        problems.append(BAD_AMOUNT % {"value": values["amount"][:40]})
    if not values["provider_reference"]:
        problems.append(NO_PROVIDER_REFERENCE)
    if status == "failed" and not values["reason"]:
        problems.append(NO_REASON)
    for column, limit in (("reference", 40), ("provider_reference", 100), ("reason", 300)):
        if len(values[column]) > limit:
            problems.append(TOO_LONG % {"column": column, "limit": limit})
    completed_at, ok = _time(values["completed_at"])
    if not ok:
        problems.append(BAD_TIME % {"example": TIME_EXAMPLE})
    if problems:
        errors.extend((number, _row_error(number, p)) for p in problems)
        return None
    return ResultRow(
        number,
        values["reference"],
        status,
        amount,
        values["provider_reference"],
        values["reason"],
        completed_at,
    )


def parse_result_file(content: bytes) -> tuple[list[ResultRow], list[tuple[int, str]]]:
    """The good rows of the provider's result file and (row, message) for each bad one; a
    ValidationError when the file as a whole cannot be read."""
    text = _decode(content)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        reader.fieldnames = header
        missing = [c for c in REQUIRED_RESULT_COLUMNS if c not in header]
        if missing:
            raise ValidationError(MISSING_COLUMNS % {"columns": ", ".join(missing)}, code="file")
        rows, errors = [], []
        for record in reader:
            number = reader.line_num
            if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
                continue  # a blank line
            if len(rows) + len(errors) >= MAX_RESULT_ROWS:
                raise ValidationError(TOO_MANY_ROWS, code="file")
            row = _parse_row(number, record, errors)
            if row is not None:
                rows.append(row)
    except csv.Error:
        raise ValidationError(NOT_CSV, code="file") from None
    if not rows and not errors:
        raise ValidationError(EMPTY_FILE, code="file")
    return rows, errors
