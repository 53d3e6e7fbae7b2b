"""Feedback on long work, on an interactive stderr only (quiet in pipes, files and CI).

- ``Feedback``: one line per stage (``  discretize ... 0.012 s``), written when a stage
  starts and completed with its wall time when it ends;
- ``Progress``: a progress bar (click's) whose estimate of the remaining time counts only
  from its first update: the time before it (numba compiling the simulation, a pass
  running) is not spread over the remaining steps, as click's own estimate would
  (elapsed since start / steps done);
- ``active()`` / ``progress(label, steps)``: the feedback of the running command, so that
  deep code (the fidelity check's simulations) can report progress without taking a
  parameter; ``None`` when there is none (not a terminal, or the Python API).
"""

from __future__ import annotations

import contextvars
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

_ACTIVE: contextvars.ContextVar[Feedback | None] = contextvars.ContextVar("nirc_feedback",
                                                                          default=None)


def remaining_seconds(first: tuple[float, int], now: tuple[float, int], length: int
                      ) -> float | None:
    """The estimate of the time left: the rate since the first update ``first`` =
    (time, steps done) applied to the steps still to do; None before a second update."""
    (t0, done0), (t1, done1) = first, now
    if done1 <= done0 or t1 <= t0:
        return None
    return (t1 - t0) / (done1 - done0) * (length - done1)


class Progress:
    """A click progress bar of ``length`` steps on ``stream``; ``update(done)`` takes the
    steps done so far (as the simulators' ``progress`` callbacks do)."""

    def __init__(self, label: str, length: int, stream: TextIO,
                 clock: Callable[[], float] = time.monotonic):
        import click

        self.length, self.clock, self.first, self.done = length, clock, None, 0
        self.bar = click.progressbar(length=length, label=label, file=stream, show_eta=True)
        self.bar.__enter__()

    def update(self, done: int) -> None:
        now = (self.clock(), done)
        if self.first is None:
            self.first = now
        left = remaining_seconds(self.first, now, self.length)
        self.bar.pos, self.done = done, done
        if left is not None:  # click shows time_per_iteration * steps left
            self.bar.avg, self.bar.eta_known = [left / max(self.length - done, 1)], True
        self.bar.finished = done >= self.length
        self.bar.render_progress()

    def close(self) -> None:
        self.bar.__exit__(None, None, None)


class Feedback:
    """Stage lines and progress bars on ``stream`` (stderr)."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.open: str | None = None

    def start(self, name: str) -> None:
        self.end_line()
        self.stream.write(f"  {name} ...")
        self.stream.flush()
        self.open = name

    def done(self, name: str, seconds: float) -> None:
        if self.open == name:
            self.stream.write(f" {seconds:.3f} s\n")
        else:
            self.end_line()
            self.stream.write(f"  {name} {seconds:.3f} s\n")
        self.stream.flush()
        self.open = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.start(name)
        began = time.perf_counter()
        yield
        self.done(name, time.perf_counter() - began)

    def progress(self, label: str, length: int) -> Progress:
        self.end_line()
        return Progress(f"  {label}", length, self.stream)

    def end_line(self) -> None:
        if self.open is not None:
            self.stream.write("\n")
            self.open = None


def for_terminal(stream: TextIO | None = None) -> Feedback | None:
    """A ``Feedback`` if ``stream`` (stderr) is a terminal, else None."""
    stream = stream or sys.stderr
    return Feedback(stream) if stream.isatty() else None


def active() -> Feedback | None:
    return _ACTIVE.get()


@contextmanager
def activated(feedback: Feedback | None) -> Iterator[Feedback | None]:
    """Make ``feedback`` the active one inside; a stage line an error left open is
    ended, so that the error message starts on its own line."""
    token = _ACTIVE.set(feedback)
    try:
        yield feedback
    finally:
        _ACTIVE.reset(token)
        if feedback is not None:
            feedback.end_line()


@contextmanager
def progress(label: str, length: int) -> Iterator[Callable[[int], None] | None]:
    """A simulator ``progress`` callback for the active feedback (None without one);
    the bar is closed on leaving."""
    feedback = active()
    if feedback is None or length <= 0:
        yield None
        return
    bar = feedback.progress(label, length)
    try:
        yield bar.update
    finally:
        bar.close()


@contextmanager
def stage(name: str) -> Iterator[None]:
    """A stage line for the active feedback (nothing without one)."""
    feedback = active()
    if feedback is None:
        yield
    else:
        with feedback.stage(name):
            yield
