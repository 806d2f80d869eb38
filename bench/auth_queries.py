"""What every signed-in page pays before its own work, ORM against portal.auth (issue 10).

On the 1M-policy dataset (`bench/dataset.py`), in one process, alternated round by round:

- the session's user: `select_related("merchant__shop").get(pk=…)` (what portal.auth did
  before) against `portal.auth.SESSION_USER.get`, for a merchant;
- a staff user's permissions: ModelBackend's own and group permissions as the ORM's UNION
  of two joins (what portal.auth did before) against `portal.auth.PERMISSIONS.get`, for a
  reviewer in a group;
- the claim page's claim with its five relations, the ORM's select_related against
  `claims.selectors.CLAIM_PAGE` (portal.rawsql.JoinedRead), and its timeline,
  `portal.audit.timeline` against `timeline_entries`, for a claim of the big shop;
- a cache read (the session's, on every signed-in page): Django's RedisCache against
  `portal.cache.RedisCache`, on --redis-url.

Checks that each pair gives the same result, then prints the medians of the rounds, in ms a
call (each round is the mean of --calls calls).

    .venv/bin/python bench/auth_queries.py [--rounds 7] [--calls 300]
        [--database-url postgres://postgres@127.0.0.1:5432/warranty_scale]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warranty_scale"


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DATABASE_URL"] = f"{args.database_url}?conn_max_age=600"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.backends import ModelBackend
    from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

    from claims.models import Claim
    from claims.selectors import CLAIM_PAGE
    from enrollment.models import Merchant
    from portal import audit
    from portal.auth import PERMISSIONS, SESSION_USER
    from portal.cache import RedisCache

    users = get_user_model()
    merchant_id = Merchant.objects.values_list("user_id", flat=True).order_by("id").first()
    staff_id = (
        users.objects.filter(is_staff=True, is_superuser=False, groups__isnull=False)
        .values_list("pk", flat=True)
        .order_by("pk")
        .first()
    )
    if merchant_id is None or staff_id is None:
        print("the dataset has no merchant or no reviewer in a group: run bench/dataset.py")
        return 1

    def orm_user():
        return users._default_manager.select_related("merchant__shop").get(pk=merchant_id)

    def orm_permissions():
        user = users(pk=staff_id, is_active=True)
        columns = ("content_type__app_label", "codename")
        backend = ModelBackend()
        own = backend._get_user_permissions(user).values_list(*columns).order_by()
        grouped = backend._get_group_permissions(user).values_list(*columns).order_by()
        return {f"{app}.{codename}" for app, codename in own.union(grouped).order_by()}

    expected, got = orm_user(), SESSION_USER.get(merchant_id)
    same_user = all(
        _fields(a) == _fields(b)
        for a, b in (
            (expected, got),
            (expected.merchant, got.merchant),
            (expected.merchant.shop, got.merchant.shop),
        )
    )
    same_permissions = orm_permissions() == PERMISSIONS.get(staff_id)
    print(f"same user, merchant and shop fields: {same_user}; same permissions: {same_permissions}")
    claim_related = ("refund", "refund__order", "refund__line", "payout", "compensation")
    claim = Claim.objects.filter(payout__isnull=False).order_by("id").first()

    def orm_claim():
        return Claim.objects.select_related(*claim_related).get(pk=claim.pk, shop=claim.shop_id)

    same_claim = _fields(orm_claim()) == _fields(CLAIM_PAGE.get(claim.pk, claim.shop_id))
    same_timeline = [_fields(e) for e in audit.timeline(claim)] == [
        _fields(e) for e in audit.timeline_entries(claim)
    ]
    print(f"same claim: {same_claim}; same timeline: {same_timeline}")
    if not (same_user and same_permissions and same_claim and same_timeline):
        return 1
    django_cache = DjangoRedisCache(args.redis_url, {"KEY_PREFIX": "bench-django"})
    kept_cache = RedisCache(args.redis_url, {"KEY_PREFIX": "bench-kept"})
    for each in (django_cache, kept_cache):
        each.set("session", {"_auth_user_id": str(merchant_id)}, 60)

    ways = {
        "session user, ORM select_related().get()": orm_user,
        "session user, portal.auth.SESSION_USER": lambda: SESSION_USER.get(merchant_id),
        "permissions, ORM UNION": orm_permissions,
        "permissions, portal.auth.PERMISSIONS": lambda: PERMISSIONS.get(staff_id),
        "claim page's claim, ORM select_related": orm_claim,
        "claim page's claim, CLAIM_PAGE": lambda: CLAIM_PAGE.get(claim.pk, claim.shop_id),
        "claim timeline, ORM audit.timeline": lambda: list(audit.timeline(claim)),
        "claim timeline, audit.timeline_entries": lambda: audit.timeline_entries(claim),
        "cache read, Django's RedisCache": lambda: django_cache.get("session"),
        "cache read, portal.cache.RedisCache": lambda: kept_cache.get("session"),
    }
    times = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, call in ways.items():
            start = time.perf_counter()
            for _ in range(args.calls):
                call()
            times[name].append((time.perf_counter() - start) / args.calls * 1000)
    for name, values in times.items():
        rounds = " / ".join(f"{v:.3f}" for v in values)
        print(f"{name:45s} median {statistics.median(values):.3f} ms a call ({rounds})")
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
