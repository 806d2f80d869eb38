"""Paying the shops (R114-R115): payout batches through the payment provider.

Finance batches the pending payouts, downloads the bulk-transfer file, imports the
provider's results (`files.py`, `services.py`, `admin.py`) and reconciles what is owed with
where each payout stands (`selectors.py`).
"""
