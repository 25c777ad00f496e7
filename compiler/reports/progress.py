"""A progress bar on standard error while several targets run, when a person is watching.

Only on a terminal (rich picks the colours; NO_COLOR is honoured by it):
a pipeline's log gets the report alone. rich is imported only then.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def watching() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[], None]]:
    if total < 2 or not watching():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True, force_terminal=True),
        transient=True,
    )
    task = bar.add_task(label, total=total)
    with bar:
        yield lambda: bar.advance(task)
