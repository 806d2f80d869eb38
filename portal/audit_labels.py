"""The audit trail (R40) as staff read it in the admin, in their language (R3, issue 11).

StateLog rows keep the transition's code name ("approve_refund") and, for the system's own
decisions, an English reason naming the rule ("system: R35 automatic payout"): stable words
for the record and for tests. Here they become a translated name and a translated reason;
a person's note is shown as it was typed.
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TRANSITIONS = {
    "submit": gettext_lazy("submitted"),
    "report": gettext_lazy("reported"),
    "invite": gettext_lazy("invited"),
    "apply": gettext_lazy("applied"),
    "request": gettext_lazy("requested"),
    "approve": gettext_lazy("approved"),
    "approve_refund": gettext_lazy("approved (refund only)"),
    "approve_return": gettext_lazy("approved (return and refund)"),
    "reject": gettext_lazy("rejected"),
    "cancel": gettext_lazy("cancelled"),
    "revoke": gettext_lazy("revoked"),
    "ship_return": gettext_lazy("return shipped"),
    "close_timeout": gettext_lazy("closed: no tracking number in time"),
    "confirm_receipt": gettext_lazy("receipt confirmed"),
    "refuse_receipt": gettext_lazy("receipt refused"),
    "overrule_refusal": gettext_lazy("refusal overruled"),
    "uphold_refusal": gettext_lazy("refusal upheld"),
    "complete_refund": gettext_lazy("refunded to the buyer"),
    "mark_paid": gettext_lazy("paid to the shop"),
    "settle": gettext_lazy("settled"),
    "uphold": gettext_lazy("upheld"),
    "dismiss": gettext_lazy("dismissed"),
    "request_exit": gettext_lazy("exit requested"),
    "withdraw_exit_request": gettext_lazy("exit request withdrawn"),
    "exit": gettext_lazy("exited"),
    "issue": gettext_lazy("issued"),
    "ship": gettext_lazy("shipped"),
}

# The system's reasons, written by the services (claims/services, platform_api/bulk*.py).
SYSTEM_REASONS = {
    "system: R30 covered request routed to the insurer": gettext_lazy(
        "A covered request, sent to the insurer for review"
    ),
    "system: R35 automatic payout": gettext_lazy("Automatic payout to the shop"),
    "system: R35 refund on approval": gettext_lazy("Refunded to the buyer on approval"),
    "system: R35 refund on receipt": gettext_lazy("Refunded to the buyer on receipt"),
    "system: R35 refund after overruling": gettext_lazy(
        "Refunded to the buyer after the refusal was overruled"
    ),
    "system: R35 refund after the receipt deadline": gettext_lazy(
        "Refunded to the buyer after the receipt deadline"
    ),
    "system: R33 no return tracking number before the deadline": gettext_lazy(
        "No return tracking number before the deadline"
    ),
    "system: R38 merchant receipt deadline passed": gettext_lazy(
        "The merchant did not confirm receipt before the deadline"
    ),
    "buyer withdrew the request": gettext_lazy("The buyer withdrew the request"),
}

FAST_TRACK = re.compile(
    r"^(?:system: )?R39 fast track: credit tier (?P<tier>\d+) >= (?P<min_tier>\d+), "
    r"amount (?P<amount>[\d.]+) <= (?P<max_amount>[\d.]+), (?P<recent>\d+) claims in 90 days "
    r"<= (?P<max_recent>\d+), no upheld abnormal-buyer feedback$"
)


def transition_label(name: str) -> str:
    label = TRANSITIONS.get(name)
    return str(label) if label is not None else name


def reason_label(description: str) -> str:
    """A system reason translated; anything else (a person's note) as it is."""
    text = (description or "").strip()
    if text in SYSTEM_REASONS:
        return str(SYSTEM_REASONS[text])
    match = FAST_TRACK.match(text)
    if match:
        return (
            _(
                "Fast track: credit tier %(tier)s ≥ %(min_tier)s, amount %(amount)s ≤ "
                "%(max_amount)s, %(recent)s claims in 90 days ≤ %(max_recent)s, no upheld "
                "abnormal-buyer feedback"
            )
            % match.groupdict()
        )
    return text
