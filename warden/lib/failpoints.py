"""Kill points for the crash-consistency tests.

`failpoint("upload.stored")` marks a place where a crash must leave the index consistent.
It exists so that tests/test_crash_consistency.py can SIGKILL a real server at exactly
that place (`WARDEN_FAILPOINTS=upload.stored warden serve`) and then prove that
`warden check` is clean and a retried upload succeeds. In production the variable is unset:
the set below is read once, at import, and is empty, so a failpoint is one membership test
of an empty frozenset and can never fire.
"""

from __future__ import annotations

import os
import signal

_ARMED = frozenset(filter(None, os.environ.get("WARDEN_FAILPOINTS", "").split(",")))


def failpoint(name: str) -> None:
    """SIGKILL this process if WARDEN_FAILPOINTS names `name`: no cleanup, no `finally`,
    no atexit, like a power cut or the OOM killer."""
    if name in _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
