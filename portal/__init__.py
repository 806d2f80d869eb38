"""The ground every app stands on: settings, the page shell and the helpers they all share.

Settings (`settings.py`, from the environment), the base pages (login, language switch,
error pages, `urls.py`), money (R1), clock and formats (R2), the one transition runner
(`fsm.py`, R40/R41) with its audit trail and announcements (`audit.py`, `changes.py`), the
admin's transition buttons, forms, pagination, CSV streaming, the Jinja2 environment, the
read-replica router and the staff groups (R101); for set-based writes, many rows in one
INSERT (`bulk.py`) and the `field__any=ids` lookup (`lookups.py`), issue 10.
"""
