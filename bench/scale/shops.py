"""The dataset's shops: logins, shops, invitations, enrollments and premium-rate histories.

Rows are dicts keyed by the model fields' attnames (bench.scale.loader reads the columns from
the models). Merchant user n is shop n (ids 1..200); the staff follow (201..203).
"""

from bench.scale.plan import N_SHOPS, D, ts

STAFF = ["bench-reviewer", "bench-finance", "bench-underwriter"]
REVIEWER = N_SHOPS + 1  # the user id of bench-reviewer
UNDERWRITER = N_SHOPS + 3


class ShopRows:
    """Needs `rng`, `now` and `enrolled_at` (the build's)."""

    def shop_weights(self) -> list[float]:
        others = [1 / (k**0.8) for k in range(1, N_SHOPS)]
        scale = 0.6 / sum(others)
        return [0.4] + [w * scale for w in others]

    def users(self, hasher_password: str):
        joined = ts(self.enrolled_at - 5 * D)
        logins = [(f"shop{n:03d}@scale.example",) * 2 + ("f",) for n in range(1, N_SHOPS + 1)]
        logins += [(name, f"{name}@insurer.example", "t") for name in STAFF]
        for pk, (username, email, staff) in enumerate(logins, start=1):
            yield {
                "id": str(pk),
                "password": hasher_password,
                "last_login": r"\N",
                "is_superuser": "f",
                "username": username,
                "first_name": "",
                "last_name": "",
                "email": email,
                "is_staff": staff,
                "is_active": "t",
                "date_joined": joined,
            }

    @staticmethod
    def user_groups(groups: list[int]):
        """The staff's groups, in the order of STAFF."""
        for n, group in enumerate(groups, start=1):
            yield {"id": str(n), "user_id": str(N_SHOPS + n), "group_id": str(group)}

    def shops(self):
        created = ts(self.enrolled_at - 10 * D)
        for n in range(1, N_SHOPS + 1):
            yield {
                "id": str(n),
                "platform_shop_id": f"TM-SCALE-{n:04d}",
                "name": "大卖场电器旗舰店" if n == 1 else f"电器店{n:03d}",
                "industry": "home_appliances",
                "created_at": created,
            }

    @staticmethod
    def merchants():
        for n in range(1, N_SHOPS + 1):
            yield {"id": str(n), "user_id": str(n), "shop_id": str(n)}

    def shop_rates(self) -> list[list[int]]:
        """Rate in basis points (1e-4) per shop per 30-day step since enrollment."""
        rates = []
        for _n in range(N_SHOPS):
            base = self.rng.randint(90, 220)
            rates.append([max(50, base + self.rng.randint(-20, 20)) for _m in range(14)])
        self.rates = rates
        return rates

    def rate_at(self, shop: int, epoch: float) -> int:
        step = min(13, max(0, int((epoch - self.enrolled_at) // (30 * D))))
        return self.rates[shop - 1][step]

    def premium_rates(self):
        pk = 0
        for shop in range(1, N_SHOPS + 1):
            for step in range(14):
                pk += 1
                at = self.enrolled_at + step * 30 * D
                if at > self.now:
                    break
                yield {
                    "id": str(pk),
                    "rate": f"0.{self.rates[shop - 1][step]:04d}",
                    "effective_from": ts(at),
                    "source": "model",
                    "reason": "initial rate on approval" if step == 0 else "monthly model reprice",
                    "inputs": "{}",
                    "created_at": ts(at),
                    "created_by_id": r"\N",
                    "shop_id": str(shop),
                }

    def invitations(self):
        at = self.enrolled_at - 7 * D
        for n in range(1, N_SHOPS + 1):
            yield {
                "id": str(n),
                "contact_email": f"shop{n:03d}@scale.example",
                "expires_at": ts(at + 30 * D),
                "created_at": ts(at),
                "state": "issued",
                "revoked_at": r"\N",
                "note": "",
                "invited_by_id": str(UNDERWRITER),
                "shop_id": str(n),
            }

    def enrollments(self):
        at = self.enrolled_at
        for n in range(1, N_SHOPS + 1):
            yield {
                "id": str(n),
                "state": "active",
                "alipay_account": f"1380013{n:04d}",
                "alipay_name": f"店铺{n}",
                "return_contact": "王经理",
                "return_phone": "0571-88888888",
                "return_address": f"杭州市余杭区文一西路 {n} 号",
                "terms_accepted_at": ts(at - D),
                "applied_at": ts(at - D),
                "reviewed_at": ts(at),
                "rejection_reason": "",
                "effective_at": ts(at),
                "exit_requested_at": r"\N",
                "exit_reason": "",
                "exited_at": r"\N",
                "applied_by_id": str(n),
                "reviewed_by_id": str(UNDERWRITER),
                "invitation_id": str(n),
                "shop_id": str(n),
            }
