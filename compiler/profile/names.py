"""Names that become one segment of a path: one rule for a profile's `[environments.NAME]` and
`--env NAME` (a folder under --out), one for a profile's name and a job's id (a file name, a
segment of a URL). Kept apart from layers.py so that checking `--env` costs no import."""

from __future__ import annotations

import re

ENVIRONMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
ENVIRONMENT_RULE = "environment names are letters, digits, - and _ (each becomes a folder name)"
# Letters, digits, '.', '-' and '_', not starting with '.', '-' or '_': neither `..` nor a `/`,
# so it names one thing where it is put (a profile's file in its folder, a job under its principal).
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
