"""What the dataset holds (its sizes and proportions) and the COPY text format of its values."""

import time
from zoneinfo import ZoneInfo

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warranty_scale"
PASSWORD = "bench-scale-2026"
BIG_SHOP_ID = 1
BIG_SHOP_PLATFORM_ID = "TM-SCALE-0001"
SHANGHAI = ZoneInfo("Asia/Shanghai")
H, D = 3600, 86400

N_SHOPS = 200
N_BUYERS = 300_000
N_ORDERS = 1_000_000  # one policy each
N_FEEDBACK = 5_000
# 100,000 claims over every R41 state (open ones recent, so no deadline is due at build time)
CLAIM_STATES = {
    "submitted": 4_000,
    "approved": 500,
    "awaiting_return": 5_000,
    "return_shipped": 4_000,
    "received": 300,
    "receipt_refused": 700,
    "refunded": 500,
    "paid": 55_000,
    "rejected": 15_000,
    "cancelled": 8_000,
    "closed_timeout": 5_000,
    "closed_refused": 2_000,
}
OPEN_STATES = {
    "submitted",
    "approved",
    "awaiting_return",
    "return_shipped",
    "received",
    "receipt_refused",
    "refunded",
}
# 50,000 merchant-handled requests (R30/R44)
NOT_COVERED = {
    "reason_not_covered": 35_000,
    "outside_window": 8_000,
    "before_receipt": 5_000,
    "buyer_ineligible": 2_000,
}
PRICES = [4900, 9900, 19900, 29900, 59900, 129900, 299900]  # cents
TITLES = ["电热水壶", "空气炸锅", "电饭煲", "吸尘器", "吹风机", "微波炉", "电风扇", "榨汁机"]
COVERED = ["quality_issue", "not_as_described", "damaged_or_stained"]
NOT_COVERED_REASONS = ["no_longer_needed", "wrong_size", "other"]
CARRIERS = ["顺丰", "中通", "圆通", "韵达"]
GROUNDS = ["missing_items", "empty_parcel", "wrong_item", "fake_logistics"]


# --- text formatting for COPY (TEXT format; our values never hold tabs or backslashes) ---


def ts(epoch: float | None) -> str:
    if epoch is None:
        return r"\N"
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(int(epoch)))


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def val(v) -> str:
    if v is None:
        return r"\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    return str(v)
