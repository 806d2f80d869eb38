"""Messages to the marketplace (R110-R113, issue 12): a transactional outbox.

A message is written in the transaction of the change it reports (`services.py`,
`payloads.py`, its types declared in `types.py`), then posted, signed, by a worker with
retries and backoff (`delivery.py`, `tasks.py`); staff see and resend them in the admin.
`receiver.py` plays the marketplace's end for the demo and tests.
"""
