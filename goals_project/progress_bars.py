"""Progress of long work: a bar on a terminal, plain lines in logs, nothing when quiet.

A long service (an import, a recalculation of every goal, the weekly digests, the demo) takes a
`progress` argument and reports through it: `progress.start(step, total)` when a step begins,
`progress.update(done)` as it goes (as often as it likes: reporters throttle), and
`progress.finish()` at the end. The default, `NO_PROGRESS`, reports nothing. Management
commands pass `command_progress(command)`: a rich bar (items done, rate, time left) when their
stderr is a terminal, else a plain line every few seconds once the work has lasted a second
(so short runs and the test suite print nothing), and nothing at all with `--verbosity 0`. The
upload page's background import passes a reporter that stores the counts for the page.
"""

from __future__ import annotations

import time
from typing import TextIO

# Plain lines start once the work has lasted this long, and follow at most this often.
LINES_AFTER_SECONDS = 1.0
LINES_EVERY_SECONDS = 5.0
# A step of fewer items (the demo's six parts) says no rate or time left.
RATE_FROM = 100


class Progress:
    """Reports nothing; the base of every reporter."""

    def start(self, step: str, total: int) -> None:
        """A step begins: `total` items to do (rows, goals, emails...)."""

    def update(self, done: int, note: str = "") -> None:
        """`done` items of the current step are done; `note` says what is being done now."""

    def finish(self) -> None:
        """The work is over."""


NO_PROGRESS = Progress()


class LineProgress(Progress):
    """Plain lines for logs: 'Checking rows: 40,000 of 100,000 (40%), 52,000/s, about 1 s
    left', at most every `every` seconds, and only once the work has lasted `after` seconds."""

    def __init__(
        self,
        stream: TextIO,
        *,
        after: float = LINES_AFTER_SECONDS,
        every: float = LINES_EVERY_SECONDS,
    ):
        self.stream, self.after, self.every = stream, after, every
        self.began = time.monotonic()
        self.step, self.total, self.done, self.note = "", 0, 0, ""
        self.step_began = self.began
        self.last_line = 0.0
        self.printed: tuple | None = None

    def start(self, step: str, total: int) -> None:
        self._final_line()
        self.step, self.total, self.done, self.note = step, total, 0, ""
        self.step_began = time.monotonic()

    def update(self, done: int, note: str = "") -> None:
        self.done, self.note = done, note
        now = time.monotonic()
        if now - self.began >= self.after and now - self.last_line >= self.every:
            self._line()

    def finish(self) -> None:
        self._final_line()

    def _final_line(self) -> None:
        """Where a step ended, if lines were printed and this state was not."""
        if self.last_line and self.printed != (self.step, self.done, self.note):
            self._line()

    def _line(self) -> None:
        if not self.step:
            return
        line = f"{self.step}: {self.done:,} of {self.total:,}"
        if self.total:
            line += f" ({self.done * 100 // self.total}%)"
        elapsed = max(time.monotonic() - self.step_began, 1e-6)
        rate = self.done / elapsed
        if self.total >= RATE_FROM:
            line += f", {rate:,.0f}/s"
            if rate and self.done < self.total:
                line += f", about {(self.total - self.done) / rate:,.0f} s left"
        if self.note:
            line += f": {self.note}"
        self.stream.write(line + "\n")
        self.stream.flush()
        self.last_line = time.monotonic()
        self.printed = (self.step, self.done, self.note)


class BarProgress(Progress):
    """A rich progress bar per step on a terminal: items done of the total, rate, time left."""

    def __init__(self, stream: TextIO):
        from rich import progress as rich
        from rich.console import Console

        self.bar = rich.Progress(
            rich.TextColumn("{task.description}"),
            rich.BarColumn(),
            rich.MofNCompleteColumn(),
            rich.TaskProgressColumn(),
            rich.TextColumn("{task.fields[rate]}"),
            rich.TimeRemainingColumn(),
            console=Console(file=stream),
        )
        self.task = None
        self.bar.start()

    def start(self, step: str, total: int) -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[self.task].total)
        self.task = self.bar.add_task(step, total=total, rate="")

    def update(self, done: int, note: str = "") -> None:
        if self.task is None:
            return
        task = self.bar.tasks[self.task]
        speed = done / task.elapsed if task.elapsed else 0
        rate = f"{speed:,.0f}/s" if speed and task.total >= RATE_FROM else ""
        self.bar.update(self.task, completed=done, rate=" ".join(filter(None, [rate, note])))

    def finish(self) -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[self.task].total)
        self.bar.stop()


def command_progress(command, *, verbosity: int = 1) -> Progress:
    """The reporter for a management command: a bar when its stderr is a terminal, plain lines
    otherwise, nothing with --verbosity 0. Call finish() when done (the bar stops)."""
    if verbosity == 0:
        return NO_PROGRESS
    stream = command.stderr
    if stream.isatty():
        return BarProgress(stream._out)
    return LineProgress(stream, after=LINES_AFTER_SECONDS, every=LINES_EVERY_SECONDS)


def counted(items, progress: Progress, *, step: str, every: int = 1):
    """Iterate over `items` (a sized collection), reporting `step` as they go."""
    progress.start(step, len(items))
    for done, item in enumerate(items, start=1):
        yield item
        if done % every == 0 or done == len(items):
            progress.update(done)
