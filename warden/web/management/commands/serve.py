"""`warden serve`: the embedded default in one command (web, task worker, signer)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from warden.audit.tasks import audit_ip_retention
from warden.lib.stopping import StopRequested
from warden.lib.tasks import tasks_requeue_abandoned, worker_id_for_serve
from warden.tuf import repository as tuf_repository

log = logging.getLogger("warden.serve")


def bind_parse(bind: str) -> tuple[str, int]:
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise CommandError(f"--bind {bind!r}: expected HOST:PORT, e.g. 127.0.0.1:8000")
    return host.strip("[]"), int(port)


class Command(BaseCommand):
    help = "Migrate the database, then run the web server, the task worker and the signer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("WARDEN_BIND", "127.0.0.1:8000"))
        cores = os.cpu_count() or 1
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("WARDEN_WEB_WORKERS", 2 * cores + 1)))
        parser.add_argument("--threads", type=int,
                            default=int(os.environ.get("WARDEN_WEB_THREADS", "1")),
                            help="request threads per web worker (more than 1: gthread workers)")
        parser.add_argument("--no-task-worker", action="store_true",
                            help="run only the web server (scale-out: run workers separately)")
        parser.add_argument("--no-signer", action="store_true",
                            help="run no signer (scale-out: run `warden signer` separately)")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = bind_parse(options["bind"])
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if settings.WARDEN_TUF and not options["no_signer"] and \
                not tuf_repository.is_initialized():
            # On by default: the embedded default signs with keys kept beside the data
            # until the operator runs the ceremony (docs/tuf-operators.md).
            call_command("tuf", "init", "--embedded", stdout=self.stdout)
        env = {**os.environ, "WARDEN_DATA_DIR": str(settings.DATA_DIR),
               "DJANGO_SETTINGS_MODULE": "warden.settings"}
        # The web processes never need the online key: keep even its name away from them.
        web_env = {k: v for k, v in env.items()
                   if k not in ("WARDEN_TUF_ONLINE_KEY_FILE", "WARDEN_TUF_ONLINE_KEY_URI")}
        # gunicorn, not granian: granian drops the HTTP reason phrase, and twine shows
        # users only the reason phrase of a refused upload. Sync workers by default: their
        # tail latency on the simple API is a third of gthread's (docs/decisions.md).
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        threads = max(1, options["threads"])
        web = [sys.executable, "-m", "gunicorn",
               "--worker-class", "gthread" if threads > 1 else "sync",
               "--workers", str(max(1, options["workers"])), "--threads", str(threads),
               "--bind", address, "--timeout", "300", "--graceful-timeout", "10",
               "--log-level", "warning", "--no-control-socket", "warden.wsgi:application"]
        children: list[tuple[str, subprocess.Popen[bytes]]] = [
            ("web server", subprocess.Popen(web, env=web_env))]  # noqa: S603
        if not options["no_task_worker"]:
            # Our previous worker is dead (we are starting its successor): what it left
            # marked running would otherwise stay so for ever (kill -9 mid-task).
            requeued = tasks_requeue_abandoned(serve_host=True)
            if requeued:
                log.warning("requeued %s task(s) a previous task worker left running",
                            requeued)
            worker = [sys.executable, "-m", "warden.cli", "db_worker", "--interval", "1",
                      "--worker-id", worker_id_for_serve(pid=os.getpid())]
            children.append(("task worker", subprocess.Popen(worker, env=web_env)))  # noqa: S603
        if not options["no_signer"]:
            signer = [sys.executable, "-m", "warden.cli", "signer"]
            children.append(("signer", subprocess.Popen(signer, env=env)))  # noqa: S603
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(f"Warden is listening on http://{shown}:{port}/ "
                          f"(data in {settings.DATA_DIR})", ending="\n")
        if not settings.EMAIL_HOST:
            self.stdout.write(f"Mail is written to files in {settings.EMAIL_FILE_PATH} "
                              "(set WARDEN_EMAIL_HOST for SMTP)", ending="\n")
        self.stdout.flush()
        stopping = StopRequested()
        status = 0
        next_daily = 0.0
        try:
            while not stopping:
                if not options["no_task_worker"] and time.monotonic() >= next_daily:
                    # The embedded default's scheduler: daily housekeeping goes to the
                    # task worker (scale-out runs `warden audit retention` from cron).
                    audit_ip_retention.enqueue()
                    next_daily = time.monotonic() + 24 * 3600
                for role, child in children:
                    code = child.poll()
                    if code is not None:
                        log.error("the %s exited with %s; stopping", role, code)
                        status = code or 1
                        stopping.requested = True
                time.sleep(0.2)
        finally:
            for _, child in children:
                if child.poll() is None:
                    child.terminate()
            for _, child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        if status:
            raise CommandError("a Warden process stopped unexpectedly")
