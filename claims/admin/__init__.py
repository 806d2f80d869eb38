"""The claims app's admin: the reviewers' workbench (R32-R34, R38-R39, R60-R62, R101-R102).

Importing this package registers every admin of the app (Django's admin autodiscovery
imports `claims.admin`):

- `claim`: the claim queue under the 24-hour clock, its transitions and bulk decisions;
  `claim_fields` holds its list columns and change-page fields;
- `buyers`: buyers and their eligibility, the merchants' reports of buyers;
- `records`: the settings and the read-only records (policies, refund requests,
  compensations, breaches, evidence);
- `common`: what they share (evidence thumbnails; the read-only admin is
  `portal.admin_kit.ReadOnlyAdmin`).

The queue page itself is `claims.admin_queue`, the reviewers' SLA view `claims.admin_sla`;
the payouts' admin lives in `payouts.admin`.
"""

from claims.admin import buyers, claim, records  # noqa: F401 (each registers its admins)
