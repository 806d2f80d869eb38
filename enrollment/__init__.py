"""Shops and their place in the program (R10-R16) and their premium rates (R50-R52).

Invitations, applications, enrollment periods and exits, with their underwriters' admin
(`admin.py`); the writes in `services.py`, the reads in `selectors.py` ("was the shop
enrolled at T", R16), the merchant's pages in `views.py`; the risk-pricing model in
`pricing.py`, pure and deterministic (R51).
"""
