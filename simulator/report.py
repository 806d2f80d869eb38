"""The simulation's report: what the API answered (a `Tally` of statuses per event type,
R83) and what the portal holds for the run's ids (`Holdings`, read from the database or
back through the API), printed by `report_lines`."""

from collections import Counter
from dataclasses import dataclass, field

from simulator.market import COVERED_REASONS, REASONS, Marketplace
from simulator.transports import Transport, read_claims

EVENT_TYPES = [
    "order.placed",
    "order.shipped",
    "order.received",
    "refund.requested",
    "refund.return_shipped",
    "refund.cancelled",
]


@dataclass
class Tally:
    """What the API answered, per event type and status (R83)."""

    statuses: Counter = field(default_factory=Counter)  # (type, status) -> n
    errors: Counter = field(default_factory=Counter)  # rejection message -> n
    requests: int = 0

    def record(self, events: list[dict], results: list[dict]) -> None:
        types = {e["id"]: e["type"] for e in events}
        for result in results:
            self.statuses[types.get(result["id"], "?"), result["status"]] += 1
            if result["status"] == "rejected":
                self.errors[result.get("error", "")] += 1

    def count(self, status: str | None = None, type_: str | None = None) -> int:
        return sum(
            n
            for (t, s), n in self.statuses.items()
            if (status is None or s == status) and (type_ is None or t == type_)
        )


@dataclass
class Holdings:
    """What the portal holds for this run's orders and refunds, and where that was read."""

    source: str
    orders: int = 0
    insured: int = 0
    policies: Counter = field(default_factory=Counter)  # R24 status -> n
    refunds: Counter = field(default_factory=Counter)  # (reason, covered) -> n
    not_covered: Counter = field(default_factory=Counter)  # R44 reason -> n
    claims: Counter = field(default_factory=Counter)  # R41 state -> n
    system_decided: int = 0  # R39 fast track


@dataclass
class Report:
    seed_prefix: str
    transport: str
    tally: Tally
    holdings: Holdings
    mails: int | None = None

    def lines(self) -> list[str]:
        return report_lines(self)


def holdings_from_db(market: Marketplace) -> Holdings:
    from django.db import connection
    from django.db.models import Count

    from claims.models import Claim, Order, Policy, RefundRequest

    prefix = market.prefix + "-"
    name = connection.settings_dict["NAME"]
    out = Holdings(source=f"database ({connection.vendor} {name}), rows with ids {prefix}*")
    orders = Order.objects.filter(platform_order_id__startswith=prefix)
    out.orders = orders.count()
    out.insured = orders.filter(insured=True).count()
    out.policies = Counter(p.status() for p in Policy.objects.filter(order__in=orders))
    refunds = RefundRequest.objects.filter(platform_refund_id__startswith=prefix)
    for row in refunds.values("reason", "covered", "not_covered_reason").annotate(n=Count("id")):
        out.refunds[row["reason"], row["covered"]] += row["n"]
        if not row["covered"]:
            out.not_covered[row["not_covered_reason"]] += row["n"]
    claims = Claim.objects.filter(refund__in=refunds)
    out.claims = Counter(dict(claims.values_list("state").annotate(n=Count("id"))))
    out.system_decided = claims.filter(decided_by_system=True).count()
    return out


def holdings_from_api(transport: Transport, market: Marketplace) -> Holdings:
    out = Holdings(source=f"API read-back ({transport.label}), this run's ids")
    for order in market.orders:
        view = transport.get(f"/api/v1/orders/{order.order_id}")
        if view is None:
            continue
        out.orders += 1
        out.insured += view["insured"]
        if view["policy"]:
            out.policies[view["policy"]["status"]] += 1
    views = read_claims(transport, market)
    reasons = {r.refund_id: r.reason for r in market.refunds}
    for refund_id, view in views.items():
        out.refunds[reasons[refund_id], view["covered"]] += 1
        if not view["covered"]:
            out.not_covered[view["not_covered_reason"]] += 1
        if view["claim"]:
            out.claims[view["claim"]["state"]] += 1
            out.system_decided += view["claim"]["decided_by"] == "system"
    return out


def _counts(counter: Counter) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counter.items())) or "none"


def report_lines(report: Report) -> list[str]:
    tally, held = report.tally, report.holdings
    types = [t for t in EVENT_TYPES if any(t == seen for seen, _s in tally.statuses)]
    out = [
        f"Simulation {report.seed_prefix} over {report.transport}: "
        f"{tally.count()} events in {tally.requests} requests",
        f"  {'event type':<24}{'applied':>9}{'duplicate':>11}{'rejected':>10}",
    ]
    for type_ in [*types, None]:
        name = type_ or "total"
        counts = [tally.count(s, type_) for s in ("applied", "duplicate", "rejected")]
        out.append(f"  {name:<24}{counts[0]:>9}{counts[1]:>11}{counts[2]:>10}")
    for error, n in tally.errors.most_common(5):
        out.append(f"  rejected x{n}: {error}")
    claims_total = sum(n for (_r, covered), n in held.refunds.items() if covered)
    out += [
        f"Holdings, read from the {held.source}:",
        f"  orders {held.orders} (insured {held.insured}); policies issued "
        f"{sum(held.policies.values())}: {_counts(held.policies)}",
        f"  refund requests {sum(held.refunds.values())}: warranty-card claims {claims_total}, "
        f"merchant-handled {sum(held.not_covered.values())}",
    ]
    for reason in REASONS:
        covered, merchant = held.refunds[reason, True], held.refunds[reason, False]
        tag = "covered reason" if reason in COVERED_REASONS else "not covered"
        out.append(f"    {reason:<20} claims {covered:>4}  merchant-handled {merchant:>4}  ({tag})")
    out.append(f"  merchant-handled because: {_counts(held.not_covered)}")
    out.append(f"  claims by state: {_counts(held.claims)}")
    out.append(f"  decided by the system (R39 fast track): {held.system_decided}")
    if report.mails is not None:
        out.append(f"  merchant e-mails captured (not sent): {report.mails}")
    return out
