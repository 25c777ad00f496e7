"""Where the remote commands send their requests: the Graph root, the API version, the authority.

A Graph root is `scheme://host[:port]` and nothing else. It must be https, or http to a
loopback address (a local test double): the bearer token goes to it, so a profile repository's
CI must never be talked into sending it elsewhere in clear.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
from typing import NamedTuple
from urllib.parse import urlsplit

from ..catalog.clouds import API_VERSIONS, CLOUDS
from ..problems import UserError

# Authorities azure-identity may run instance discovery against; any other one (a sovereign
# deployment's own, or a test double) has discovery turned off, or MSAL would refuse it.
MICROSOFT_AUTHORITIES = {cloud.authority for cloud in CLOUDS.values()} | {"login.microsoft.com"}
GRAPH_URL_VARIABLE = "SYNCSECRETS_GRAPH_URL"


class Connection(NamedTuple):
    root: str  # "https://graph.microsoft.com", no trailing slash
    api: str  # "v1.0" or "beta"
    authority: str  # "https://login.microsoftonline.com" (or AZURE_AUTHORITY_HOST)

    @property
    def scope(self) -> str:
        return f"{self.root}/.default"

    def url(self, path: str) -> str:
        return f"{self.root}/{self.api}/{path}"

    def owns(self, url: str) -> bool:
        """Whether `url` is on the Graph root's scheme, host and port (where the token may go).
        Read by httpx's own parser, which sends the request: urlsplit silently drops a tab or a
        line break that httpx refuses, and the two need not agree on every odd URL."""
        import httpx  # loaded already: only the HTTP client asks

        try:
            parts, root = httpx.URL(url), httpx.URL(self.root)
        except (httpx.InvalidURL, ValueError):  # ValueError: idna's, for a label that is not IDNA
            return False
        return (parts.scheme, parts.host, parts.port) == (root.scheme, root.host, root.port)

    @property
    def microsoft_authority(self) -> bool:
        return (urlsplit(self.authority).hostname or "").lower() in MICROSOFT_AUTHORITIES


def connect(cloud: str, graph_url: str | None, api: str, environ) -> Connection:
    """The connection the options and environment ask for; UserError if they are not usable."""
    if cloud not in CLOUDS:
        raise UserError.single("--cloud", "must be one of " + ", ".join(CLOUDS))
    if api not in API_VERSIONS:
        raise UserError.single("--api", "must be v1.0 or beta")
    given = graph_url or environ.get(GRAPH_URL_VARIABLE) or None
    where = "--graph-url" if graph_url else GRAPH_URL_VARIABLE
    root = check_graph_root(given, where) if given else CLOUDS[cloud].graph
    authority = environ.get("AZURE_AUTHORITY_HOST") or CLOUDS[cloud].authority
    if "://" not in authority:
        authority = f"https://{authority}"
    return Connection(root, api, check_authority(authority.rstrip("/")))


def check_authority(url: str) -> str:
    """AZURE_AUTHORITY_HOST as azure-identity can use it: https, a host, nothing else."""
    where, usage = "AZURE_AUTHORITY_HOST", "give the authority's host, like login.microsoftonline.com"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise UserError.single(where, f"is not a valid URL: {usage}") from None
    host = parts.hostname or ""
    if parts.scheme.lower() != "https" or parts.username or parts.password or parts.query or parts.fragment:
        raise UserError.single(where, f"must be an https:// URL with nothing but a host (and a path): {usage}")
    if not _usable(host, url):
        raise UserError.single(where, f"names no valid host: {usage}")
    return url


def check_graph_root(url: str, where: str) -> str:
    usage = "give the Graph root alone, like https://graph.microsoft.com"
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise UserError.single(where, f"is not a valid URL: {usage}") from None
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment:
        raise UserError.single(where, f"must be a URL with a host and nothing else: {usage}")
    if parts.path.strip("/"):
        raise UserError.single(where, f"must not have a path (the API version is --api): {usage}")
    scheme = parts.scheme.lower()
    if scheme == "http" and not is_loopback(parts.hostname):
        raise UserError.single(
            where,
            "must use https:// (http:// only to a loopback address such as 127.0.0.1): the access token is sent to it",
        )
    if scheme not in ("http", "https"):
        raise UserError.single(where, f"must be an https:// URL: {usage}")
    root = f"{scheme}://{parts.netloc.lower()}"
    if not _usable(parts.hostname, root):
        raise UserError.single(where, f"names no valid host (letters, digits, '-' and '.', or an IP address): {usage}")
    return root


# A DNS name as a Graph root is spelled: ASCII labels, none empty (what urlsplit lets through,
# like a space or a full-width letter, httpx would encode, refuse or look up as something else).
HOST_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z")


def _usable(host: str, url: str) -> bool:
    """Whether `host` is a host name or an IP address, and httpx, which sends the requests, can
    use `url` at all (an `xn--` label that is not valid IDNA passes every other check)."""
    import httpx

    if not (HOST_NAME.match(host) or _is_address(host)):
        return False
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return False
    return True


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_context(environ=os.environ) -> ssl.SSLContext:
    """The system's trust store, or SSL_CERT_FILE / SSL_CERT_DIR when set (as OpenSSL reads them)."""
    cafile, capath = environ.get("SSL_CERT_FILE") or None, environ.get("SSL_CERT_DIR") or None
    try:
        context = ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError):
        where = "SSL_CERT_FILE" if cafile else "SSL_CERT_DIR"
        raise UserError.single(where, "cannot be read as PEM certificates: point it at the trusted CA bundle") from None
    if not (cafile or capath) and not context.cert_store_stats().get("x509_ca"):
        import certifi  # a Python without a usable system store (python.org's macOS builds)

        context.load_verify_locations(cafile=certifi.where())
    return context
