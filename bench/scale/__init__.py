"""The marketplace-scale dataset of bench/dataset.py (issue 6), in the order it is built:

- `plan`: its sizes and proportions, and the COPY text format of its values;
- `shops`, `orders`, `claims` (the refund and claim plan), `claim_rows`, `invoices`: the
  generators, one dict per row keyed by the model fields' attnames;
- `loader`: COPY into a model's table with the columns read from the model's `_meta` (a row
  that misses a field stops the build), the foreign-key check, the rollups;
- `build`: the deterministic `Build` and the order its tables load in.
"""
