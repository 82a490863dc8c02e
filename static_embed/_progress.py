"""A minimal progress bar on stderr (no tqdm: the core depends on numpy alone)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Counts items and redraws one stderr line at most ten times a second, with rate and ETA.

    ``initial`` items were done before (a resumed run): they count towards the total, not the rate.
    """

    def __init__(self, total: int, *, enabled: bool = True, label: str = "encoding",
                 stream: TextIO | None = None, initial: int = 0) -> None:
        self.total = total
        self.initial = initial
        self.done = initial
        self.enabled = enabled
        self.label = label
        self.stream = stream or sys.stderr
        self._start = time.perf_counter()
        self._last_draw = 0.0

    def update(self, count: int) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last_draw >= 0.1 or self.done >= self.total:
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        rate = (self.done - self.initial) / elapsed
        remaining = (self.total - self.done) / rate if rate > 0 else float("inf")
        fraction = self.done / self.total if self.total else 1.0
        bar = "#" * int(fraction * 30)
        eta = f"{remaining:5.1f}s" if remaining != float("inf") else "  ?  "
        self.stream.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total} {rate:,.0f}/s eta {eta}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
