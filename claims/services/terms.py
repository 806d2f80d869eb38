"""What a claim's decisions read of the insurer's settings and the shop's service terms
(R11, R14, R33, R90), each read once per event batch (`portal.transactions.cached`)."""

from claims.models import ClaimSettings
from enrollment.models import Enrollment
from portal.transactions import cached


def claim_settings() -> ClaimSettings:
    """The insurer's claim settings (read once per event batch)."""
    return cached(("claim_settings",), ClaimSettings.current)


def shop_service_terms(shop_id: int) -> Enrollment | None:
    """The shop's latest enrollment period: its bound Alipay account and return address
    (R14: after an exit, claims on issued policies are still paid)."""
    return cached(
        ("service_terms", shop_id),
        lambda: (
            Enrollment.objects.filter(shop_id=shop_id, effective_at__isnull=False)
            .order_by("-effective_at")
            .first()
        ),
    )


def payout_account(shop_id: int) -> str:
    enrollment = shop_service_terms(shop_id)
    return enrollment.alipay_account if enrollment else ""


def return_address(shop_id: int) -> str:
    """R11/R33: the shop's default return address, pushed to the buyer of an approved return."""
    enrollment = shop_service_terms(shop_id)
    if enrollment is None:
        return ""
    return f"{enrollment.return_contact} {enrollment.return_phone} {enrollment.return_address}"
