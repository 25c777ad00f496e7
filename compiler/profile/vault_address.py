"""What a `keyvault` reference may name, checked before anything is sent.

A Key Vault token is sent to the vault's host, so a profile (hostile input in a pull request)
must not be able to name any other host: only `<vault>.vault.azure.net` and the national clouds'
vault domains, on the default port. Tests and private deployments add hosts through the
environment variable HOSTS_VARIABLE (comma-separated `host:port`), never through a profile.

A reference is kept in canonical form, `host/name` or `host/name/version` (the host lower-case,
with its port only when it is not 443): the label `keyvault:<host>/<name>[/<version>]` of
placeholders and messages, from which the URL is rebuilt.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple
from urllib.parse import urlsplit

from ..problems import InvalidValue

HOSTS_VARIABLE = "SYNCSECRETS_KEYVAULT_HOSTS"
VAULT_DOMAINS = ("vault.azure.net", "vault.usgovcloudapi.net", "vault.azure.cn")
# Key Vault's own naming rules: a vault is 3-24 letters, digits and single hyphens, starting with
# a letter; a secret name 1-127 letters, digits and hyphens; a version 32 hexadecimal digits.
_VAULT = re.compile(r"[a-z](?:-?[a-z0-9]){2,23}\Z")
_NAME = re.compile(r"[A-Za-z0-9-]{1,127}\Z")
_VERSION = re.compile(r"[0-9a-fA-F]{32}\Z")
EXAMPLE = "https://<vault>.vault.azure.net/secrets/<name> (optionally /<version>)"
# For the JSON Schema (editors): the shape only, whatever the host, since the hosts
# HOSTS_VARIABLE adds are known only when the tool runs; the tool itself checks the host.
SCHEMA_PATTERN = "^https://[^/?#@\\s]+/secrets/[A-Za-z0-9-]{1,127}(/[0-9a-fA-F]{32})?/?$"


class SecretAddress(NamedTuple):
    host: str  # "contoso-kv.vault.azure.net", or "127.0.0.1:8443" for an added host
    name: str
    version: str | None = None

    @property
    def canonical(self) -> str:
        return "/".join(filter(None, (self.host, self.name, self.version)))

    @property
    def vault_url(self) -> str:
        return f"https://{self.host}"

    @property
    def added(self) -> bool:
        """Whether the host is one HOSTS_VARIABLE adds (not a Microsoft vault domain)."""
        return not self.host.endswith(tuple(f".{domain}" for domain in VAULT_DOMAINS))


def parse_url(url: str, environ=os.environ) -> SecretAddress:
    """The secret a reference URL names; InvalidValue (never quoting the URL) if it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidValue(f"keyvault must be a secret's URL: {EXAMPLE}") from None
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise InvalidValue(f"keyvault must be an https:// URL of a secret: {EXAMPLE}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidValue(f"keyvault must be a secret's URL with nothing else (no user, query or fragment): {EXAMPLE}")
    host = parts.hostname.lower()
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    address = f"{shown}:{port}" if port not in (None, 443) else shown
    added = {host.strip().lower() for host in (environ.get(HOSTS_VARIABLE) or "").split(",") if host.strip()}
    if address not in added and f"{shown}:{port or 443}" not in added:
        vault, _, domain = host.partition(".")
        if domain not in VAULT_DOMAINS or port not in (None, 443):
            raise InvalidValue(
                f"keyvault must name a host of Azure Key Vault (*.{', *.'.join(VAULT_DOMAINS)}, "
                f"or one that {HOSTS_VARIABLE} adds): the vault's token is sent to it; {EXAMPLE}"
            )
        if len(vault) > 24 or not _VAULT.match(vault):
            raise InvalidValue(
                "keyvault names an impossible vault (3-24 letters, digits and hyphens, "
                f"starting with a letter): {EXAMPLE}"
            )
    segments = parts.path.strip("/").split("/")
    if len(segments) not in (2, 3) or segments[0].lower() != "secrets":
        raise InvalidValue(f"keyvault must point at a secret, /secrets/<name>: {EXAMPLE}")
    name, version = segments[1], segments[2] if len(segments) == 3 else None
    if not _NAME.match(name):
        raise InvalidValue("keyvault names an impossible secret (1-127 letters, digits and hyphens)")
    if version is not None and not _VERSION.match(version):
        raise InvalidValue(
            "keyvault names an impossible secret version (32 hexadecimal digits): leave it out for the current version"
        )
    return SecretAddress(address, name, version.lower() if version else None)


def from_canonical(text: str) -> SecretAddress:
    """The address of a canonical `host/name[/version]` (as labels and placeholders hold it)."""
    host, name, *version = text.split("/")
    return SecretAddress(host, name, version[0] if version else None)
