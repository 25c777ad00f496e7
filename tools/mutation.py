"""mutmut with symbolic links copied as links (CONTRIBUTING.md, "Mutation testing").

mutmut copies tests/ into mutants/ at every run, following every link; tests/cases holds dangling
and looping links on purpose (the cases about them), which that copy fails on. The copy is made
afresh each time (a link cannot be copied over itself).

    nice -n 10 .venv/bin/python tools/mutation.py run --max-children 1 "compiler.graph.classify*"
"""

import os
import shutil
import sys

_copytree = shutil.copytree


def _copytree_keeping_links(src, dst, symlinks=False, *args, **kwargs):
    return _copytree(src, dst, True, *args, **kwargs)


if __name__ == "__main__":
    shutil.rmtree(os.path.join("mutants", "tests"), ignore_errors=True)
    shutil.copytree = _copytree_keeping_links
    from mutmut.__main__ import cli

    sys.exit(cli())
