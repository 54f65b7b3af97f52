"""Process plumbing shared by the long-running event commands."""

from __future__ import annotations

import signal
import threading
from types import FrameType


class StopFlag:
    """Set by SIGTERM/SIGINT. Long-running loops poll it between units of work, so
    the unit in flight (a handler run, a relay batch) always completes."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal_name = ""

    def __call__(self) -> bool:
        return self._event.is_set()

    def set(self, reason: str = "") -> None:
        self.signal_name = reason
        self._event.set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    def install(self) -> StopFlag:
        def on_signal(signum: int, _frame: FrameType | None) -> None:
            self.set(signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        return self
