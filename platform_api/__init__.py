"""The signed event API the marketplace talks to (R80-R87).

`POST /api/v1/events`: signatures (`auth.py`), the event schemas declared once
(`schemas.py`), a batch applied in chunks (`ingest.py`, `batch.py`), set-based where it can
(`bulk*.py`) and else event by event (`handlers.py`); the read-back of orders and refunds
(`readback.py`) and the served OpenAPI document (`openapi.py`).
"""
