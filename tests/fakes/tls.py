"""A throw-away certificate authority and the server certificate every fake presents.

trustme makes both in memory; the CA's PEM is written to a file because the clients under test
read trust from a path (SSL_CERT_FILE, REQUESTS_CA_BUNDLE), as they would in production.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

# Loopback names only: a fake is never reachable under any other name.
SERVER_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass
class TestTLS:
    __test__ = False  # not a pytest test class, despite the name

    ca: trustme.CA
    ca_file: Path
    server_cert: trustme.LeafCert

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server_cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What a well-behaved client trusts: this CA and nothing else."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_tls(folder: Path) -> TestTLS:
    ca = trustme.CA()
    ca_file = folder / "fake-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TestTLS(ca=ca, ca_file=ca_file, server_cert=ca.issue_cert(*SERVER_NAMES))
