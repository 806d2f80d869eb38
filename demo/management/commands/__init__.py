"""`manage.py seed_demo`: the demo's data, idempotent (development only)."""
