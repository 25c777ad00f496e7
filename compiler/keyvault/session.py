"""The Key Vault reader of one run: registered with the references module by the command,
built (and the Azure SDK imported, in fetch.py) only when a keyvault reference is resolved."""

from __future__ import annotations

import os

from ..profile.references import use_vault

KEYVAULT_VARIABLE = "SYNCSECRETS_KEYVAULT_AUTH"


class DeferredReader:
    def __init__(self, mode: str, environ) -> None:
        self._mode, self._environ = mode, environ
        self._reader = None

    def _built(self):
        if self._reader is None:
            from .fetch import VaultReader

            self._reader = VaultReader(self._mode, self._environ)
        return self._reader

    def prefetch(self, addresses) -> None:
        self._built().prefetch(addresses)

    def value(self, address) -> str:
        return self._built().value(address)


def configure(auth: str | None, keyvault_auth: str | None = None, environ=os.environ) -> None:
    """Registers the run's reader, replacing an earlier run's (and the values it read). Its
    credential: `--keyvault-auth` (or SYNCSECRETS_KEYVAULT_AUTH), else the Graph `--auth` (or
    SYNCSECRETS_AUTH), else `default`. UserError if a mode is not one of --auth's."""
    from ..graph.auth import AUTH_VARIABLE, check_mode

    for given, where in (
        (auth, "--auth"),
        (environ.get(AUTH_VARIABLE), AUTH_VARIABLE),
        (keyvault_auth, "--keyvault-auth"),
        (environ.get(KEYVAULT_VARIABLE), KEYVAULT_VARIABLE),
    ):
        check_mode(given, where)
    mode = keyvault_auth or environ.get(KEYVAULT_VARIABLE) or auth or environ.get(AUTH_VARIABLE) or "default"
    use_vault(DeferredReader(mode, environ))
