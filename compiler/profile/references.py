"""Secret references: `{ env = "NAME" }`, `{ file = "path" }` and `{ keyvault = "https://..." }`.

A reference is resolved only under `--reveal`. Otherwise the output holds a placeholder that
names the reference, never its value: `<unrevealed env:NAME>`. It is the same on every run, and
its angle brackets and spaces keep it from being taken for (or accepted as) a real credential.

Every value a reference resolves to is remembered as a secret (secrets.py), so that anything
printed or written masks it, in any spelling; one too short to be masked is refused instead
when it sets a credential.

Key Vault secrets are read over the network, by a reader (keyvault/fetch.py, a floor above)
that the command registers with `use_vault` when a run reveals: this module only asks it.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, NamedTuple, Protocol

from ..problems import InvalidValue, UserError
from .secrets import MASK, SECRETS, remember_secret, too_short, too_short_message  # noqa: F401 (MASK, SECRETS: used through here)
from .source import MAX_FILE_BYTES, read_text

if TYPE_CHECKING:  # vault_address.py (and urllib) load only when a keyvault reference is met
    from .vault_address import SecretAddress

SCHEMES = ("env", "file", "keyvault")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PLACEHOLDER = re.compile(r"<unrevealed (env|file|keyvault):(.+)>\Z", re.DOTALL)
# Every scheme, as a profile writes it: the one spelling messages and descriptions use.
FORMS = '{ env = "NAME" }, { file = "path" } or { keyvault = "https://<vault>.vault.azure.net/secrets/<name>" }'
EXAMPLE = f"write {FORMS}"
# What Azure Pipelines ($(NAME)) or GitHub Actions (${{ ... }}) leave when a variable is not defined.
_UNEXPANDED = re.compile(r"\$\([A-Za-z0-9_.-]+\)\Z|\$\{\{.*\}\}\Z")


class VaultSource(Protocol):
    def prefetch(self, addresses: list[SecretAddress]) -> None: ...
    def value(self, address: SecretAddress) -> str: ...


_VAULT: VaultSource | None = None


def use_vault(source: VaultSource | None) -> None:
    """Registers the reader of Key Vault secrets for the run (None: no run reads them)."""
    global _VAULT
    _VAULT = source


class Reference(NamedTuple):
    scheme: str  # "env", "file" or "keyvault"
    # The variable's name, the path as the profile wrote it, or the secret's canonical
    # `host/name[/version]` (vault_address.py).
    name: str
    base_dir: str = ""  # folder of the file that wrote a file reference

    @property
    def label(self) -> str:
        return f"{self.scheme}:{self.name}"

    @property
    def placeholder(self) -> str:
        return placeholder(self.label)


def placeholder(label: str) -> str:
    """What an unrevealed output holds in place of the value of reference `label` (`env:NAME`)."""
    return f"<unrevealed {label}>"


def placeholder_label(value: str) -> str | None:
    """`env:NAME` if `value` is a placeholder written by an unrevealed run, else None."""
    found = _PLACEHOLDER.match(value)
    return f"{found.group(1)}:{found.group(2)}" if found else None


def is_reference_table(value: object) -> bool:
    return isinstance(value, dict) and any(scheme in value for scheme in SCHEMES)


def parse_reference(table: dict, base_dir: str) -> Reference:
    """The reference a table describes; InvalidValue with a fix-it message if it is malformed."""
    schemes = [scheme for scheme in SCHEMES if scheme in table]
    others = sorted(set(table) - set(SCHEMES))
    example = EXAMPLE
    if others:
        raise InvalidValue(f"unknown reference kind {', '.join(map(repr, others))}: {example}")
    if not schemes:
        raise InvalidValue(f"empty reference: {example}")
    if len(schemes) > 1:
        raise InvalidValue(f"a reference takes one of env, file or keyvault, not several: {example}")
    scheme = schemes[0]
    name = table[scheme]
    if not isinstance(name, str):
        raise InvalidValue(f"{scheme} takes a string: {example}")
    if not name.strip():
        raise InvalidValue(f"{scheme} names nothing: {example}")
    if scheme == "env" and not ENV_NAME.match(name):
        raise InvalidValue("env must be a variable name (letters, digits and _, not starting with a digit)")
    if scheme == "keyvault":
        from .vault_address import parse_url

        return Reference(scheme, parse_url(name).canonical)
    return Reference(scheme, name, base_dir)


def reference_table(label: str) -> dict[str, str]:
    """The TOML table that writes the reference of `label` (`import` puts references back)."""
    scheme, _, name = label.partition(":")
    if scheme != "keyvault":
        return {scheme: name}
    host, _, secret = name.partition("/")  # `host/name[/version]`, checked when the profile is read
    return {scheme: f"https://{host}/secrets/{secret}"}


def vault_addresses(references) -> list[SecretAddress]:
    """The Key Vault secrets among `references` (to fetch them together, before resolving)."""
    names = [reference.name for reference in references if reference.scheme == "keyvault"]
    if not names:
        return []
    from .vault_address import from_canonical

    return [from_canonical(name) for name in names]


def prefetch(references) -> None:
    """Reads the Key Vault secrets among `references` at once (concurrently), when there are any."""
    addresses = vault_addresses(references)
    if addresses and _VAULT is not None:
        _VAULT.prefetch(addresses)


def resolve(reference: Reference, environ: os._Environ | dict, credential: bool = True) -> str:
    """The secret behind a reference; InvalidValue naming the reference (never a value) if not
    found. `credential`: the key it sets holds credentials (a value too short to be one is refused)."""
    if reference.scheme == "env":
        value = environ.get(reference.name)
        if value is None:
            raise InvalidValue(
                f"environment variable {reference.name} is not set: export it before running this command"
            )
        if value == "":
            raise InvalidValue(f"environment variable {reference.name} is empty: set it to the secret")
        if _UNEXPANDED.match(value):
            raise InvalidValue(
                f"environment variable {reference.name} holds an unexpanded pipeline variable "
                "($(NAME) or ${{ ... }}): map the secret into the step's environment"
            )
    elif reference.scheme == "keyvault":
        if _VAULT is None:  # a command that reveals registers the reader first
            raise RuntimeError("a keyvault reference was resolved with no vault reader registered")
        value = _VAULT.value(vault_addresses([reference])[0])
    else:
        path = os.path.join(reference.base_dir, reference.name)
        try:
            value = read_text(path, reference.name, what="secret file")
        except UserError as error:
            raise InvalidValue(f"file {reference.name}: {error.problems[0].message}") from None
        value = value.removesuffix("\n").removesuffix("\r") if value.endswith("\n") else value
        if value == "":
            raise InvalidValue(f"file {reference.name} is empty: put the secret in it")
    short = too_short(value)
    if not short:
        # A short value is not registered: a credential that short is refused (this run's messages
        # stay readable), and a short value of a key that holds none (a flag, "{}") is masked in
        # reports by its reference; searched for in messages, it would blank ordinary words.
        remember_secret(value)
    _check_secret(reference, value)
    if short and credential:
        raise InvalidValue(too_short_message(_source(reference)))
    return value


def _source(reference: Reference) -> str:
    what = {"env": "environment variable ", "file": "file "}.get(reference.scheme, "")
    return what + reference.name if what else reference.label


def _check_secret(reference: Reference, value: str) -> None:
    """What no source may hand over as a secret, whichever it is: text that cannot be written
    (not UTF-8), more than a file reference may hold, or the placeholder of an unrevealed output
    (sending it would overwrite the real secret with a name; the mapper names the key)."""
    what = _source(reference)
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidValue(f"{what} is not valid UTF-8") from None
    if size > MAX_FILE_BYTES:
        raise InvalidValue(f"{what} is {size} bytes; a secret may be at most {MAX_FILE_BYTES} bytes (1 MiB)")
    if (reason := placeholder_reason(value)) is not None:
        raise InvalidValue(reason)


def placeholder_reason(value: str) -> str | None:
    """Why `value` is not a secret if it is the placeholder of an unrevealed output (copied into a
    variable, a file or a vault), else None: the one wording of this mistake, wherever it is met."""
    if placeholder_label(value) is None and not value.startswith("<unrevealed "):
        return None
    return (
        "is a placeholder from an unrevealed compile (<unrevealed ...>), not a value: sending it would "
        "overwrite the real secret; give the secret itself"
    )


def variable_name(application: str, key_friendly: str) -> str:
    """The environment variable `init` and `import` suggest: `<NAME>_<KEY>` in upper snake case."""
    key_snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key_friendly)  # a raw key is PascalCase
    name = re.sub(r"[^A-Za-z0-9]+", "_", f"{application}_{key_snake}").strip("_").upper()
    return name if ENV_NAME.match(name) else f"APP_{name}"  # a variable cannot start with a digit
