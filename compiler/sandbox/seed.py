"""What the sandbox starts with: per service principal, the state of an app just set up in the
portal, before provisioning was configured: no secrets, and one job of its template, not started.

A Seed is plain data (the command reads it from the profiles); `plant` is the one place that turns
it into FakeGraph state, so what else a new app has (templates with their default schema...) is
added here once and every seed gets it.
"""

from __future__ import annotations

from typing import NamedTuple

from .graph import FakeGraph
from .jobs import new_job_id

DEFAULT_TEMPLATE = "scim"


class Seed(NamedTuple):
    service_principal_id: str
    template_id: str = DEFAULT_TEMPLATE
    tenant_id: str | None = None  # pinned: tokens of another tenant get 404, as on Graph


def plant(graph: FakeGraph, seed: Seed) -> None:
    graph.add_principal(seed.service_principal_id, {}, tenant_id=seed.tenant_id, templates=(seed.template_id,))
    # NotConfigured: a job created and never started (its schedule Disabled).
    graph.add_job(seed.service_principal_id, new_job_id(seed.template_id), seed.template_id, status="NotConfigured")
