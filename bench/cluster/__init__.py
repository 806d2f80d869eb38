"""Several web nodes, a replica and a pooler on one machine (issue 14): `topology.py` and
`postgres.py` bring them up (`up`, `down`), `seed.py` enrolls the shop, `scenario.py` runs the
proof (reads, events, and the fault run of `faults.py`) through HAProxy (`site.py`)."""
