"""`syncsecrets status`: each service principal's synchronization jobs, for people and pipelines
(exit 1 when a job is quarantined or its last run failed)."""

from __future__ import annotations

import os

from .remote import RemoteOptions, each_target


def status(options: RemoteOptions, environ=os.environ) -> int:
    from ..graph.status import status_all

    def work(client, run, done) -> None:
        run.interrupted = status_all(client, run.plans, options.jobs, done)

    return each_target("status", options, environ, "Reading the jobs", work, reveal=False)  # no secret needed
