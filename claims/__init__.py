"""Orders, policies, refund requests and claims: the heart of the warranty (R20-R44, R60-R62).

`models.py` holds the state machines (R41), `services/` every write, `selectors.py` the
reads; the merchant's pages are in `views/` (dashboard, policies, refunds and claims,
feedback, payouts), the reviewers' workbench in `admin.py`, `admin_queue.py` and the SLA
page (R32); per-shop rollups of the merchant figures in `rollups.py`, and the deadline
sweep's periodic task in `tasks.py`.
"""
