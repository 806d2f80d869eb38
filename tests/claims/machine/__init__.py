"""The model-based test of the claims engine (tests/claims/test_model_based.py), in parts:
`world` (bounds, shops, the starting rows, helpers), the machine's rules for the platform
(`platform_rules`) and for the reviewer, merchants, sweep and clock (`actor_rules`), and its
invariant against the database (`invariants`). The reference model is tests/claims/model.py.
"""
