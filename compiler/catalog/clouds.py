"""The Microsoft clouds and Graph API versions the remote commands can talk to: declared once,
for the command line's choices (cli.py) and for the connection (graph/connection.py)."""

from __future__ import annotations

from typing import NamedTuple


class Cloud(NamedTuple):
    graph: str  # the Graph root
    authority: str  # the Entra authority host


CLOUDS: dict[str, Cloud] = {
    "global": Cloud("https://graph.microsoft.com", "login.microsoftonline.com"),
    "usgov": Cloud("https://graph.microsoft.us", "login.microsoftonline.us"),
    "dod": Cloud("https://dod-graph.microsoft.us", "login.microsoftonline.us"),
    "china": Cloud("https://microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn"),
}
API_VERSIONS = ("v1.0", "beta")
