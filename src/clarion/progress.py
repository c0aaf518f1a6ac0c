"""Progress bars for long work: shown on a terminal, silent when output is piped or ``quiet`` is set.

Usage::

    with progress_bar("Reading data", total=None) as advance:
        for chunk in chunks:
            advance(len(chunk))
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_quiet: ContextVar[bool] = ContextVar("clarion_quiet", default=False)


def set_quiet(quiet: bool) -> None:
    """Silence (or re-enable) every progress bar of this context."""
    _quiet.set(quiet)


def is_quiet() -> bool:
    """Whether ``set_quiet(True)`` is in effect (the CLI's ``--quiet``, ``run_analysis(quiet=True)``)."""
    return _quiet.get()


def bars_enabled() -> bool:
    """Bars show only on an interactive terminal and when not silenced."""
    return not _quiet.get() and sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, total: float | None = None, unit: str = "rows") -> Iterator[Callable[[float], None]]:
    """Yield an ``advance(n)`` function; draws a rich progress bar on stderr when enabled."""
    if not bars_enabled():
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
    columns += [MofNCompleteColumn(), TextColumn(unit), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)
