"""Demo invoice requests in every R73 state, one of them overdue (called by seed_demo).

The requests are made and processed through the services at past moments (time-machine,
as seed_demo's enrollments), each over the months from the shop's first premium to the
moment of the request: so each takes the premiums charged since the previous live one.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Min
from django.utils import timezone

from claims.models import Policy
from invoicing import services
from invoicing.models import InvoiceRequest, InvoiceType
from portal.clock import local_date

TITLE = "杭州暖风电器有限公司"
TAXPAYER_ID = "91330106MA2GL0000K"  # a made-up code with a valid check character (R70)
PAPER = {
    "mailing_address": "浙江省杭州市余杭区文一西路 969 号 3 号楼 5 层 财务部",
    "recipient": "李会计",
    "phone": "0571-88886666",
}

# (days ago, hours later, step): in time order.
PLAN = [
    (34, 0, "rejected"),
    (34, 1, "cancelled"),
    (34, 2, "issued_electronic"),
    (27, 0, "shipped"),
    (20, 0, "overdue"),
    (3, 0, "issued_paper"),
    (0, 0, "submitted"),
]


def demo_pdf(lines: list[str]) -> bytes:
    """A small valid one-page PDF (Helvetica, ASCII text) standing in for a tax-system export."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = " ".join(f"({escape(line)}) '" for line in lines)
    content = f"BT /F1 12 Tf 50 790 Td 18 TL {text} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii")
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode("ascii")
    return out


class DemoInvoices:
    def __init__(self, *, shop, merchant, finance, now: dt.datetime | None = None):
        self.shop, self.merchant, self.finance = shop, merchant, finance
        self.now = now or timezone.now()
        self.numbers = 0

    def run(self, write=print) -> list[InvoiceRequest]:
        """Idempotent: a shop that has invoice requests already is left alone."""
        if InvoiceRequest.objects.filter(shop=self.shop).exists():
            return []
        first = Policy.objects.filter(shop=self.shop).aggregate(first=Min("issued_at"))["first"]
        if first is None:
            write(f"demo: {self.shop.name} has no premiums: no invoice requests made")
            return []
        self.first_month = local_date(first).replace(day=1)
        made = []
        for days, hours, step in PLAN:
            at = self.now - dt.timedelta(days=days) + dt.timedelta(hours=hours)
            if at < first:
                continue
            try:
                made.append(getattr(self, f"_{step}")(at))
            except ValidationError as error:  # e.g. no premium charged in that stretch
                write(f"demo: no {step} invoice request: {' '.join(error.messages)}")
        return made

    # --- helpers ---

    def _travel(self, instant: dt.datetime):
        import time_machine  # installed by bin/demo, as for seed_demo's enrollments

        return time_machine.travel(instant, tick=False)

    def _request(self, at: dt.datetime, invoice_type: str) -> InvoiceRequest:
        paper = invoice_type == InvoiceType.PAPER_SPECIAL
        with self._travel(at):
            return services.invoice_request_create(
                shop=self.shop,
                actor=self.merchant,
                first_month=self.first_month,
                last_month=local_date(at),
                invoice_type=invoice_type,
                title=TITLE,
                taxpayer_id=TAXPAYER_ID,
                email=self.merchant.email or "finance@demo-shop.cn",
                **(PAPER if paper else {}),
            )

    def _issue(self, invoice: InvoiceRequest, at: dt.datetime) -> InvoiceRequest:
        self.numbers += 1
        number = f"26{local_date(at):%m%d}{self.shop.pk:06d}{self.numbers:08d}"
        pdf = None
        if not invoice.is_paper:
            pdf = demo_pdf(
                [
                    "Warranty+ demo electronic general VAT invoice",
                    f"Invoice number: {number}",
                    f"Date: {local_date(at):%Y-%m-%d}",
                    f"Premiums of {invoice.period_label}: CNY {invoice.amount}",
                    "Demo data: not a real invoice.",
                ]
            )
        with self._travel(at):
            return services.invoice_issue(
                invoice_id=invoice.pk,
                actor=self.finance,
                invoice_number=number,
                invoice_date=local_date(at),
                pdf=pdf,
            )

    # --- the steps of PLAN ---

    def _rejected(self, at):
        invoice = self._request(at, InvoiceType.ELECTRONIC_GENERAL)
        with self._travel(at + dt.timedelta(days=1)):
            return services.invoice_reject(
                invoice_id=invoice.pk,
                actor=self.finance,
                reason="抬头与营业执照上的名称不一致，请核对后重新申请",
            )

    def _cancelled(self, at):
        invoice = self._request(at, InvoiceType.PAPER_SPECIAL)
        with self._travel(at + dt.timedelta(minutes=20)):
            return services.invoice_request_cancel(
                invoice_id=invoice.pk, shop=self.shop, actor=self.merchant
            )

    def _issued_electronic(self, at):
        invoice = self._request(at, InvoiceType.ELECTRONIC_GENERAL)
        return self._issue(invoice, at + dt.timedelta(days=3))

    def _shipped(self, at):
        invoice = self._issue(
            self._request(at, InvoiceType.PAPER_SPECIAL), at + dt.timedelta(days=2)
        )
        with self._travel(at + dt.timedelta(days=3)):
            return services.invoice_ship(
                invoice_id=invoice.pk,
                actor=self.finance,
                carrier="顺丰速运",
                tracking_number=f"SF{1400000000000 + invoice.pk}",
            )

    def _overdue(self, at):
        return self._request(at, InvoiceType.ELECTRONIC_GENERAL)  # finance never got to it

    def _issued_paper(self, at):
        invoice = self._request(at, InvoiceType.PAPER_SPECIAL)
        return self._issue(invoice, min(at + dt.timedelta(days=2), self.now))

    def _submitted(self, at):
        return self._request(at, InvoiceType.ELECTRONIC_GENERAL)


def seed_demo_invoices(*, shop, merchant, finance, now=None, write=print) -> list:
    return DemoInvoices(shop=shop, merchant=merchant, finance=finance, now=now).run(write=write)
