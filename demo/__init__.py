"""The demo: `manage.py seed_demo` fills a development database with staff personas, shops
in every enrollment state, the marketplace's orders and claims (played through the signed
event API by the simulator), claims taken through every lasting state (`demo.claims`),
invoice requests in every state (`demo.invoices`) and callbacks delivered and retried.

It stands on top of every app and nothing imports it (tests/test_import_graph.py).
"""
