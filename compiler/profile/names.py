"""Names that become folder names under --out: one rule for a profile's `[environments.NAME]`
and for `--env NAME`, kept apart from layers.py so that checking `--env` costs no import."""

from __future__ import annotations

import re

ENVIRONMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
ENVIRONMENT_RULE = "environment names are letters, digits, - and _ (each becomes a folder name)"
