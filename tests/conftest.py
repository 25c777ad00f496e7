"""Hypothesis profiles: `ci` runs on every test run, `long` is the documented longer run
(HYPOTHESIS_PROFILE=long python -m pytest tests/test_properties.py)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False
)
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Loopback fakes of Entra and Microsoft Graph (tests/fakes/README.md).
pytest_plugins = ["tests.fakes.fixtures"]
