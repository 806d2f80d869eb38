"""Policies, claims, buyers, the platform event API (R20-R44, R60-R62, R80-R87): claims issue."""
