"""The provider's side of the files, as a test writes it (R114)."""

import csv
import io

from django.db.models import Q

from claims.models import Payout
from payouts.models import PayoutBatch, PayoutItem
from portal.audit import StateLog


def read_transfer_file(content: bytes) -> list[dict]:
    assert content.startswith("\ufeff".encode()), "UTF-8 with a BOM, as the other exports"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def result_file(rows, *, header=("reference", "status", "amount", "provider_reference", "reason")):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def results_for(transfer_rows, *, failed=(), reason="收款账户不存在"):
    """The provider's answer to a transfer file: every row settled but those in `failed`."""
    rows = []
    for n, row in enumerate(transfer_rows):
        if row["reference"] in failed:
            rows.append([row["reference"], "failed", row["amount"], f"ALI-F{n}", reason])
        else:
            rows.append([row["reference"], "settled", row["amount"], f"ALI-S{n}", ""])
    return result_file(rows)


def snapshot():
    """Everything a result may change: the payouts, the batch rows and the audit trail."""
    return (
        list(Payout.objects.order_by("pk").values()),
        list(PayoutItem.objects.order_by("pk").values()),
        list(PayoutBatch.objects.order_by("pk").values()),
        StateLog.objects.filter(
            Q(content_type__app_label="claims") | Q(content_type__app_label="payouts")
        ).count(),
    )
