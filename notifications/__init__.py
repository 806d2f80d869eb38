"""What the portal tells a shop's merchants in the portal itself (issue 11).

Decisions, returns shipped, payouts, breaches, invoices and coming deadlines, each written
in the transaction of the change it reports (`services.py`, `deadlines.py`); the list and
the unread count in the navigation (`selectors.py`, `views.py`).
"""
