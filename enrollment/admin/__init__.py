"""The enrollment app's admin: the underwriters' workbench (R10-R16, R50-R52, R100-R101).

Importing this package registers every admin of the app (Django's admin autodiscovery
imports `enrollment.admin`):

- `shops`: shops and their merchant users, with their enrollments and rates inline;
- `invitations`: inviting a shop (R10);
- `enrollments`: applications, the review, the payout account, exits (R11-R16, R114);
- `rates`: the rate history and overrides (R50-R52), the industries' pricing bounds.
"""

# each module registers its admins
from enrollment.admin import enrollments, invitations, rates, shops  # noqa: F401
