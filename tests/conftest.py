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

# Loopback fakes of Entra and Microsoft Graph, and the network guard (tests/fakes/README.md).
# Imported here rather than at the top so this block stays a pure append to the file.
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from tests.fakes.netguard import NetworkGuard  # noqa: E402

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture(autouse=True)
def _network_guard() -> Iterator[None]:
    """No test may leave the machine: connecting to (or looking up) anything but loopback fails
    the test, even when the code under test catches the error. CLI subprocesses get the same
    guard through the `graph_env` fixture (tests/fakes/child_guard)."""
    refused: list[str] = []
    guard = NetworkGuard(refused.append)
    guard.install()
    try:
        yield
    finally:
        guard.uninstall()
    if refused:
        pytest.fail("\n".join(refused), pytrace=False)
