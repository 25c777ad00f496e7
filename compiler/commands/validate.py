"""`syncsecrets validate`: do the applications accept the profiles' credentials?

Graph's validateCredentials asks the application with the credentials given (the profile's,
resolved in memory) or, with `--saved`, those the tenant holds. Nothing is stored.
"""

from __future__ import annotations

import os

from .remote import RemoteOptions, each_target


def validate(options: RemoteOptions, saved: bool = False, environ=os.environ) -> int:
    from ..graph.validating import validate_all

    def work(client, run, done) -> None:
        run.problems, run.interrupted = validate_all(client, run.plans, options.jobs, saved, done)

    return each_target("validate", options, environ, "Validating", work, reveal=not saved)
