"""Progress bars draw on a terminal and stay silent when output is piped or quiet is set."""

from __future__ import annotations

import io
import sys

from clarion.progress import progress_bar, set_quiet


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def draw(monkeypatch, stream) -> str:
    monkeypatch.setattr(sys, "stderr", stream)
    with progress_bar("Reading data", total=10) as advance:
        for _ in range(10):
            advance(1)
    return stream.getvalue()


def test_bar_draws_on_a_terminal(monkeypatch):
    set_quiet(False)
    output = draw(monkeypatch, Terminal())
    assert "Reading data" in output and "10/10" in output


def test_bar_is_silent_when_piped(monkeypatch):
    set_quiet(False)
    assert draw(monkeypatch, io.StringIO()) == ""


def test_bar_is_silent_when_quiet(monkeypatch):
    set_quiet(True)
    try:
        assert draw(monkeypatch, Terminal()) == ""
    finally:
        set_quiet(False)
