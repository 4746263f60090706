"""`WARDEN_TUF_SYNC`: publish in the wake of each change, in the process that made it.

For tests and demonstrations only: it puts the online key in whichever process makes a
change (a web process, for an upload), which production never should; there the signer
process publishes within a fraction of a second anyway.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.db import transaction

from warden.lib import signals
from warden.tuf.signer import LeaseLost, lease_release, publish_all, publisher_for

log = logging.getLogger("warden.tuf.signer")


def _publish_now() -> None:
    holder = f"sync:{os.getpid()}:{threading.get_ident()}"
    try:
        publish_all(publisher_for(holder, None))
    except LeaseLost:
        log.info("a signer is running; it publishes this change")
    finally:
        lease_release(holder=holder)  # a signer process, if any, need not wait it out


def _on_change(**kwargs: Any) -> None:
    if settings.WARDEN_TUF_SYNC:
        transaction.on_commit(_publish_now)


signals.project_changed.connect(_on_change, dispatch_uid="warden.tuf.sync")
