"""The floor: a tiny separate Django project the merchant pages are measured against.

`floorsite` (settings, production-like) serves `items` (one policy-like table of 1,000,000
rows, built by `build.py`, served by `serve.py`), so `bench/pages.py --floor` compares a
portal page with a plain Django page of 25 rows over a table that size. See
bench/README.md, "floor/".
"""
