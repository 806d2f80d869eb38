"""Invoices for premiums (R70-R75), processed on the mainland-China working-day calendar.

A merchant's request for the premiums of whole months, finance's queue under the
6-working-day deadline (`admin.py`), the calendar with finance's overrides (`calendar.py`,
R72), and the demo's invoice requests in every state (`demo.py`).
"""
