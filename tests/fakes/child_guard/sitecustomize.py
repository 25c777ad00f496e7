"""Installs the test network guard in a CLI subprocess started by a test (see ../README.md).

Python imports `sitecustomize` at start-up from sys.path; the `graph_env` fixture puts this
folder first on PYTHONPATH and names a log file in FAKES_NETWORK_GUARD_LOG, which the fixture
checks when the test ends. Only the address is logged, never data.
"""

import importlib.util
import os
from pathlib import Path


def _install() -> None:
    log = os.environ.get("FAKES_NETWORK_GUARD_LOG")
    if not log:
        return
    spec = importlib.util.spec_from_file_location(
        "_fakes_netguard", Path(__file__).resolve().parent.parent / "netguard.py"
    )
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def record(message: str) -> None:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(message + "\n")

    module.NetworkGuard(record).install()


_install()
