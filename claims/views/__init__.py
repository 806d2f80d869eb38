"""The claims area's merchant pages: thin views over the selectors and services.

`merchant.py`: dashboard, policies, refunds and claims, buyer feedback, payouts and their
CSV exports, each scoped to the merchant's shop (R100); `evidence.py`: evidence files,
served only to that shop's merchants and to insurer staff (R102).
"""
