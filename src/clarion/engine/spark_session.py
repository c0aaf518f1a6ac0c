"""Spark plumbing for the Spark engine: the session, temporary settings, and errors that cross the JVM.

Errors: a function run on an executor is wrapped by ``executor_errors``; a ClarionError (or any other
exception) raised there is re-raised as a RuntimeError whose message carries the class name and the
message between markers. Spark hands the driver a Java exception holding that text; ``translate``
finds the markers and raises the same ClarionError class with the original one-line message, so a
user sees ``PredictorError: ...`` and never a Java stack trace.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pyspark.sql import SparkSession

from clarion import errors
from clarion.errors import ClarionError, DataError
from clarion.progress import is_quiet

T = TypeVar("T")

_MARK = "@@clarion-error@@"
_MARKED = re.compile(re.escape(_MARK) + r"(\w+)\|(.*?)" + re.escape(_MARK), re.DOTALL)
_PANDAS_WARNING = "PySpark does not yet fully support pandas"


def _ignore_pandas_version_warning() -> None:
    warnings.filterwarnings("ignore", message=_PANDAS_WARNING, category=FutureWarning)


def spark_session(master: str | None = None, *, app_name: str = "clarion", quiet: bool = False) -> SparkSession:
    """A SparkSession for ``master`` (``local[*]`` when None), quiet, with executors on this Python.

    When a session is already active it is returned as is (Spark allows one per process). ``quiet``: the
    JVM Spark starts (when none runs yet) writes nothing to this process's terminal, its start-up
    messages included; errors still reach the caller as ClarionErrors.
    """
    _ignore_pandas_version_warning()
    # executors must run the Python that has clarion installed (local mode starts them from this env)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = (
        SparkSession.builder.appName(app_name)
        .master(master or "local[*]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.pyspark.python", os.environ["PYSPARK_PYTHON"])
    )
    with _jvm_output_silenced(quiet):
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("FATAL")  # executor errors reach the user as ClarionErrors
    return session


@contextmanager
def _jvm_output_silenced(quiet: bool) -> Iterator[None]:
    """While the JVM starts, file descriptors 1 and 2 point to /dev/null: the JVM (and the Python workers it
    starts later) keep them; this process gets its own back when the block ends."""
    if not quiet:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


@contextmanager
def session_for_run(master: str | None, session: SparkSession | None) -> Iterator[SparkSession]:
    """The session to use: ``session`` if given (left running), else one started here and stopped after."""
    _ignore_pandas_version_warning()
    if session is not None:
        yield session
        return
    existed = SparkSession.getActiveSession() is not None
    spark = spark_session(master, quiet=is_quiet())
    try:
        yield spark
    finally:
        if not existed:
            spark.stop()


@contextmanager
def temporary_conf(spark: SparkSession, settings: dict[str, str]) -> Iterator[None]:
    """Set runtime SQL settings for the duration of a run and restore the previous values."""
    previous: dict[str, str | None] = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, old in previous.items():
            if old is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, old)


def executor_errors(function: Callable[..., Iterator[T]]) -> Callable[..., Iterator[T]]:
    """Wrap an executor-side generator function so its errors reach the driver intact."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[T]:
        try:
            yield from function(*args, **kwargs)
        except Exception as exc:
            raise RuntimeError(mark_error(exc)) from None

    return wrapper


def mark_error(exc: BaseException) -> str:
    """The text an executor raises for ``exc``: class name and one-line message between markers."""
    if isinstance(exc, ClarionError):
        name, message = type(exc).__name__, str(exc)
    else:
        name, message = "ClarionError", f"{type(exc).__name__}: {exc}"
    return f"{_MARK}{name}|{' '.join(message.split())}{_MARK}"


class WholeFilesNeeded(DataError):
    """Spark's splits of a CSV file cannot be parsed on their own (a quoted line break, another header row)."""


class HeaderOrder(WholeFilesNeeded):
    """A CSV file's header row names the config's ``headers`` in another order: its splits need its column order."""


_ENGINE_ERRORS: dict[str, type[ClarionError]] = {cls.__name__: cls for cls in (WholeFilesNeeded, HeaderOrder)}


def translate(exc: BaseException) -> ClarionError:
    """The ClarionError a failed Spark job stands for (the executor's error, else a one-line summary)."""
    text = str(exc)
    match = _MARKED.search(text)
    if match:
        found = _ENGINE_ERRORS.get(match.group(1)) or getattr(errors, match.group(1), None)
        cls = found if isinstance(found, type) and issubclass(found, ClarionError) else ClarionError
        return cls(match.group(2))
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    return ClarionError(f"Spark job failed: {first[:500]}")


def run_job(action: Callable[[], T]) -> T:
    """Run one Spark action; a failure becomes the ClarionError raised on the executor."""
    try:
        return action()
    except ClarionError:
        raise
    except Exception as exc:
        raise translate(exc) from None
