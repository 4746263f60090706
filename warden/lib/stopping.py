"""Stopping a long-running command cleanly."""

from __future__ import annotations

import signal
from types import FrameType


class StopRequested:
    """True once SIGTERM or SIGINT arrived: the command finishes its current step (a
    publish, a child's shutdown) and exits, instead of dying in the middle of it."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True

    def __bool__(self) -> bool:
        return self.requested
