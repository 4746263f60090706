"""`warden signer`: publish pending changes and sign them, until stopped.

Run one per deployment (more are harmless: a database lease lets one publish at a time and
the others wait to take over). The only process that reads the online key.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections

from warden.lib.stopping import StopRequested
from warden.tuf.keys import KeyError_
from warden.tuf.signer import (
    LeaseLost,
    Publisher,
    lease_release,
    obsolete_collect,
    publisher_for,
)

log = logging.getLogger("warden.tuf.signer")
COLLECT_EVERY = 300.0
KEY_RETRY = 10
RELOAD_EVERY = 2.0


class Command(BaseCommand):
    help = "Publish pending changes (pages and TUF metadata) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=0.1,
                            help="seconds between looks at the queue when it is empty")
        parser.add_argument("--once", action="store_true",
                            help="publish what is pending, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        stopping = StopRequested()
        publisher: Publisher | None = None
        next_collect = next_reload = 0.0
        waiting = False
        try:
            while not stopping:
                try:
                    if publisher is None or time.monotonic() >= next_reload:
                        # New offline metadata (an import) is picked up within this long;
                        # looking on every poll was most of an idle signer's CPU.
                        publisher = publisher_for(holder, publisher)
                        next_reload = time.monotonic() + RELOAD_EVERY
                    covered = publisher.cycle()
                    waiting = False
                except LeaseLost:
                    if not waiting:
                        log.info("another signer holds the lease; waiting to take over")
                    waiting = True
                    if options["once"]:
                        raise CommandError("another signer is publishing") from None
                    time.sleep(1)
                    continue
                except KeyError_ as exc:
                    # Publishing pauses (uploads are still accepted and queued) until the
                    # operator puts the trusted key in place, e.g. after a rotation's import.
                    if options["once"]:
                        raise CommandError(f"the online key: {exc}") from exc
                    log.error("cannot sign: the online key: %s; retrying in %d s", exc,
                              KEY_RETRY)
                    publisher = None
                    time.sleep(KEY_RETRY)
                    continue
                except DatabaseError as exc:
                    # A busy SQLite file or a restarted PostgreSQL: nothing was committed,
                    # so the next cycle does the same work again.
                    log.warning("publish failed, retrying: %s", exc)
                    close_old_connections()
                    publisher = None
                    time.sleep(1)
                    continue
                if options["once"] and not covered:
                    break
                if time.monotonic() >= next_collect:
                    obsolete_collect(now=datetime.now(UTC))
                    next_collect = time.monotonic() + COLLECT_EVERY
                if not covered:
                    time.sleep(options["interval"])
        finally:
            lease_release(holder=holder)
