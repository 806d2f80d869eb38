"""Production settings with the static files collected into a temporary folder (bench only).

`portal.settings` reads everything from the environment except STATIC_ROOT; pages.py runs
collectstatic into a temporary STATIC_ROOT so that the manifest storage (production's) is
used without writing into the checkout.
"""

import os
from pathlib import Path

from portal.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
