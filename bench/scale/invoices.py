"""The dataset's invoice requests (R70-R75): ~70% of each shop's whole past months, the last
month's partly pending (some overdue), with an invoice line per premium of the month."""

import bisect
import datetime as dt
from collections import defaultdict

from bench.scale.plan import N_SHOPS, SHANGHAI, D, H, money, ts, val


class InvoiceRows:
    """Needs `rng`, `now`, `start`, `n_orders`, `premium()` and the orders' `o_*` lists."""

    def months(self) -> list[tuple[float, dt.date, dt.date]]:
        """Whole Asia/Shanghai months of the order span: (start epoch, first day, last day)."""
        first = dt.datetime.fromtimestamp(self.start, SHANGHAI).date().replace(day=1)
        today = dt.datetime.fromtimestamp(self.now, SHANGHAI).date()
        months = []
        day = first
        while day <= today:
            nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            start = dt.datetime.combine(day, dt.time(), SHANGHAI).timestamp()
            months.append((start, day, nxt - dt.timedelta(days=1)))
            day = nxt
        return months

    def invoices(self, deadline_of, taxpayer_id):
        """Requests for ~70% of a shop's whole past months; lines = that month's premiums."""
        rng = self.rng
        months = self.months()
        starts = [m[0] for m in months]
        by_shop_month = defaultdict(list)
        for i in range(self.n_orders):
            m = bisect.bisect_right(starts, self.o_shipped[i]) - 1
            by_shop_month[(self.o_shop[i], m)].append(i)
        self.invoice_lines: list[tuple[int, int, bool]] = []  # (invoice pk, order index, live)
        today = dt.datetime.fromtimestamp(self.now, SHANGHAI).date()
        pk = 0
        for shop in range(1, N_SHOPS + 1):
            paper = rng.random() < 0.2
            for m, (_start, first, last) in enumerate(months):
                if last >= today or rng.random() > 0.7:
                    continue
                orders = by_shop_month.get((shop, m))
                if not orders:
                    continue
                pk += 1
                next_month = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), SHANGHAI)
                submitted = next_month.timestamp() + rng.uniform(H, 10 * D)
                if submitted > self.now - H:
                    submitted = self.now - rng.uniform(H, 3 * D)
                deadline = deadline_of(submitted)
                latest = m == len(months) - 2
                p = rng.random()
                if latest and p < 0.6:
                    state = "submitted"
                elif p < 0.05:
                    state = "rejected"
                elif p < 0.08:
                    state = "cancelled"
                else:
                    state = "shipped" if paper else "issued"
                live = state not in {"rejected", "cancelled"}
                amount = sum(self.premium(i) for i in orders)
                processed = min(submitted + rng.uniform(H, 7 * D), self.now - 60)
                issued = processed if state in {"issued", "shipped"} else None
                shipped = processed if state == "shipped" else None
                closed = processed if not live else None
                for i in orders:
                    self.invoice_lines.append((pk, i, live))
                yield {
                    "id": str(pk),
                    "period_start": first.isoformat(),
                    "period_end": last.isoformat(),
                    "invoice_type": "paper_special" if paper else "electronic_general",
                    "title": f"电器店{shop:03d}有限公司",
                    "taxpayer_id": taxpayer_id(shop),
                    "email": f"shop{shop:03d}@scale.example",
                    "mailing_address": f"杭州市余杭区文一西路 {shop} 号" if paper else "",
                    "recipient": "王经理" if paper else "",
                    "phone": "0571-88888888" if paper else "",
                    "amount": money(amount),
                    "policy_count": str(len(orders)),
                    "state": state,
                    "submitted_at": ts(submitted),
                    "deadline_at": ts(deadline),
                    "invoice_number": f"{pk:020d}" if issued else "",
                    "invoice_date": (
                        dt.datetime.fromtimestamp(issued, SHANGHAI).date().isoformat()
                        if issued
                        else r"\N"
                    ),
                    "invoice_pdf": "",
                    "issued_at": ts(issued),
                    "carrier": "顺丰" if shipped else "",
                    "tracking_number": f"SF{pk:012d}" if shipped else "",
                    "shipped_at": ts(shipped),
                    "processed_at": ts(processed if state in {"issued", "shipped"} else None),
                    "rejection_reason": "抬头与税号不符" if state == "rejected" else "",
                    "closed_at": ts(closed),
                    "shop_id": str(shop),
                    "submitted_by_id": str(shop),
                }

    def invoice_line_rows(self):
        for pk, (invoice, i, live) in enumerate(self.invoice_lines, start=1):
            yield {
                "id": str(pk),
                "premium": money(self.premium(i)),
                "live": val(live),
                "invoice_id": str(invoice),
                "policy_id": str(i + 1),
            }


def taxpayer_id_for(shop: int) -> str:
    from invoicing.validators import credit_code_check_char

    first17 = f"91330100{shop:09d}"
    return first17 + credit_code_check_char(first17)
