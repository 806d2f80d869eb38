"""Enroll the benchmark shop in the cluster's fresh database (run by topology.py up)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"

import django  # noqa: E402

django.setup()

from bench.reliability.harness import enroll_shop  # noqa: E402

enroll_shop()
