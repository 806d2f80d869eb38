"""Every write of the claims app, one audited service per state change.

- `policies`: orders placed, shipped, received; policy issuance (R20-R23)
- `refunds`: refund intake, the coverage decision and fast track (R30, R39)
- `decisions`: the claim state machine's services (R32-R38, R41-R42)
- `terms`: the insurer's claim settings and the shop's service terms they read
- `feedback`: abnormal buyers (R60-R62)
- `evidence`: image verification and private storage (R85, R102)
- `sweep`: the deadline sweep (R33, R38, R90-R91)
"""
