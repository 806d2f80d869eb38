"""The floor's one app: a policy-like table and the list page over it (see bench/floor)."""
