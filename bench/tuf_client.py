"""Time to protected: uploads over HTTP, and python-tuf clients that wait for each file.

Used by bench/tuf.py against a running `warden serve`:

- `upload`: one multipart POST to /legacy/ with the fields twine sends (keep-alive session
  per uploader thread; no twine process, whose start-up would dominate).
- `Watcher`: polls /tuf/timestamp.json every `interval` seconds (plain HTTP, no verification)
  and records when each timestamp version was first served.
- `Verifiers`: a pool of python-tuf clients (`tuf.ngclient.Updater`, its default urllib3
  fetcher, each with its own persistent metadata directory bootstrapped from
  /tuf/1.root.json). When the watcher sees a new timestamp and uploads are waiting, an idle
  client makes a new Updater (a refresh is once per Updater), refreshes, and for every
  waiting file calls get_targetinfo("packages/...") and download_target (which checks the
  length and sha256). The moment that returns is the file's "verified" time.
- `published_times`: after the run, from the metadata files in the server's storage, the
  first bin version naming each file, the first snapshot naming that bin version, and so the
  first timestamp a client could have used: the file's "published" time (to within the
  watcher's interval), independent of how long the clients themselves take.
"""

from __future__ import annotations

import email.parser
import hashlib
import http.client
import io
import json
import os
import statistics
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from tuf.api.metadata import SuccinctRoles
from tuf.ngclient import Updater

# What twine sends from a wheel's METADATA (as warden/packaging/tests/conftest.py's
# `upload_form` does): header -> form field.
FORM_FIELDS = {
    "Metadata-Version": "metadata_version", "Name": "name", "Version": "version",
    "Summary": "summary", "Description-Content-Type": "description_content_type",
    "Author": "author", "Author-Email": "author_email", "License": "license",
    "Requires-Python": "requires_python", "Home-Page": "home_page",
}
FORM_MULTI_FIELDS = {"Classifier": "classifiers", "Requires-Dist": "requires_dist",
                     "Provides-Extra": "provides_extra"}


@dataclass
class Item:
    """One uploaded file and what happened to it (monotonic times)."""

    filename: str
    name: str
    version: str
    data: bytes
    sha256: str
    form: dict[str, Any]
    posted: float = 0.0
    ok: float = 0.0  # the 200 arrived
    status: int = 0
    verified: float = 0.0
    verified_ts: int = 0  # the timestamp version the verifying client trusted
    tried_ts: int = 0  # the newest timestamp version under which a client did not find it
    claimed: bool = False  # a client is looking for it
    published: float = 0.0
    error: str = ""
    reply: str = ""  # the start of the answer's body, whatever its status

    @property
    def target(self) -> str:
        s = self.sha256
        return f"packages/{s[:2]}/{s[2:4]}/{s}/{self.filename}"


def _core_metadata(filename: str, data: bytes) -> bytes:
    """A wheel's METADATA, or a .tar.gz sdist's top-level PKG-INFO."""
    if filename.endswith(".whl"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            member = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            return zf.read(member)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        info = next(m for m in tf.getmembers() if m.name.count("/") == 1
                    and m.name.endswith("/PKG-INFO"))
        extracted = tf.extractfile(info)
        assert extracted is not None
        return extracted.read()


def item_from(path: Path, name: str, version: str) -> Item:
    """A wheel or .tar.gz sdist and the form twine would send for it: its core metadata's
    fields and digests."""
    data = path.read_bytes()
    message = email.parser.BytesParser().parsebytes(_core_metadata(path.name, data))
    form: dict[str, Any] = {":action": "file_upload", "protocol_version": "1"}
    for header, key in FORM_FIELDS.items():
        if header in message:
            form[key] = str(message[header])
    for header, key in FORM_MULTI_FIELDS.items():
        if values := message.get_all(header):
            form[key] = [str(v) for v in values]
    form["description"] = message.get_payload()
    wheel = path.name.endswith(".whl")
    form.update(filetype="bdist_wheel" if wheel else "sdist",
                pyversion=path.name.split("-")[-3] if wheel else "source",
                sha256_digest=hashlib.sha256(data).hexdigest(),
                md5_digest=hashlib.md5(data, usedforsecurity=False).hexdigest(),
                blake2_256_digest=hashlib.blake2b(data, digest_size=32).hexdigest())
    return Item(filename=path.name, name=name, version=version, data=data,
                sha256=form["sha256_digest"], form=form)


def upload(session: requests.Session, base: str, token: str, item: Item) -> None:
    """POST the file to /legacy/ as twine would: its form fields, then the file."""
    fields = item.form
    data = item.data
    item.posted = time.monotonic()
    try:
        response = session.post(f"{base}/legacy/", data=fields,
                                 files={"content": (item.filename, data,
                                                    "application/octet-stream")},
                                 auth=("__token__", token), timeout=120)
        item.status = response.status_code
        item.reply = response.text[:300]
        if response.status_code != 200:
            item.error = response.text[:300]
    except requests.RequestException as exc:
        item.error = str(exc)
    item.ok = time.monotonic()


class Watcher(threading.Thread):
    """First-seen time of every timestamp version served at /tuf/timestamp.json."""

    def __init__(self, host: str, port: int, interval: float) -> None:
        super().__init__(daemon=True, name="timestamp-watcher")
        self.host, self.port, self.interval = host, port, interval
        self.seen: dict[int, float] = {}  # timestamp version -> monotonic time first seen
        self.snapshot_of: dict[int, int] = {}  # timestamp version -> snapshot version
        self.version = 0
        self.polls = 0
        self.errors = 0
        self.changed = threading.Condition()
        self.stopping = threading.Event()

    def _get(self) -> tuple[int, int] | None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request("GET", "/tuf/timestamp.json")
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                return None
            signed = json.loads(body)["signed"]
            return signed["version"], signed["meta"]["snapshot.json"]["version"]
        finally:
            conn.close()

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                got = self._get()
            except (OSError, ValueError, KeyError, http.client.HTTPException):
                got = None
                self.errors += 1
            self.polls += 1
            if got is not None and got[0] > self.version:
                now = time.monotonic()
                with self.changed:
                    self.version = got[0]
                    self.seen[got[0]] = now
                    self.snapshot_of[got[0]] = got[1]
                    self.changed.notify_all()
            self.stopping.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def stop(self) -> None:
        self.stopping.set()
        with self.changed:
            self.changed.notify_all()


class Verifiers:
    """A pool of python-tuf clients verifying uploaded files as soon as they can."""

    def __init__(self, *, base: str, root: bytes, workdir: Path, size: int,
                 watcher: Watcher, chunk: int = 16) -> None:
        self.base, self.root, self.watcher, self.chunk = base, root, watcher, chunk
        self.lock = watcher.changed  # one condition for "new timestamp" and "new upload"
        self.waiting: list[Item] = []
        self.rounds: list[dict[str, float]] = []
        self.failures: list[str] = []
        self.threads = []
        for n in range(size):
            directory = workdir / f"client-{n}"
            for sub in ("metadata", "targets"):
                (directory / sub).mkdir(parents=True, exist_ok=True)
            thread = threading.Thread(target=self._run, args=(directory,), daemon=True,
                                      name=f"tuf-client-{n}")
            self.threads.append(thread)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def add(self, item: Item) -> None:
        with self.lock:
            self.waiting.append(item)
            self.lock.notify_all()

    def pending(self) -> int:
        with self.lock:
            return len(self.waiting)

    def _updater(self, directory: Path) -> Updater:
        bootstrap = None if (directory / "metadata" / "root.json").exists() else self.root
        return Updater(metadata_dir=str(directory / "metadata"),
                       metadata_base_url=f"{self.base}/tuf/",
                       target_dir=str(directory / "targets"),
                       target_base_url=f"{self.base}/", bootstrap=bootstrap)

    def _claimable(self) -> list[Item]:
        """Waiting files no client is looking for, not yet looked for under the newest
        timestamp (call with the lock held)."""
        return [i for i in self.waiting
                if not i.claimed and i.tried_ts < self.watcher.version]

    def _run(self, directory: Path) -> None:
        stopping = self.watcher.stopping
        while not stopping.is_set():
            with self.lock:
                while not stopping.is_set() and not self._claimable():
                    self.lock.wait(1.0)
                if stopping.is_set():
                    return
                batch = self._claimable()[:self.chunk]
                claimed_at = self.watcher.version
                for item in batch:
                    item.claimed = True
            t0 = time.monotonic()
            try:
                updater = self._updater(directory)
                updater.refresh()
                ts = json.loads((directory / "metadata" / "timestamp.json").read_bytes())
                trusted = ts["signed"]["version"]
                t1 = time.monotonic()
                found = 0
                for item in batch:
                    info = updater.get_targetinfo(item.target)
                    if info is None:
                        item.tried_ts = trusted
                        continue
                    updater.download_target(info, filepath=str(directory / "targets" / "x"))
                    done = time.monotonic()
                    found += 1
                    with self.lock:
                        item.verified, item.verified_ts = done, trusted
                        self.waiting.remove(item)
                t2 = time.monotonic()
                self.rounds.append({"refresh_s": t1 - t0, "targets_s": t2 - t1,
                                    "asked": len(batch), "found": found})
            except Exception as exc:  # a client error is a result: record it, go on
                self.failures.append(f"{type(exc).__name__}: {exc}")
                for item in batch:
                    item.tried_ts = max(item.tried_ts, claimed_at)
                time.sleep(0.05)
            finally:
                with self.lock:
                    for item in batch:
                        item.claimed = False
                    self.lock.notify_all()


def run_uploads(items: list[Item], *, base: str, token: str, concurrency: int,
                verifiers: Verifiers | None, deadline: float) -> float:
    """Upload `items` from `concurrency` threads, each file handed to the verifiers (if
    any) when its 200 arrives; returns the wall time of the uploads."""
    queue = list(reversed(items))
    lock = threading.Lock()

    def worker() -> None:
        with requests.Session() as session:
            while time.monotonic() < deadline:
                with lock:
                    if not queue:
                        return
                    item = queue.pop()
                upload(session, base, token, item)
                if item.status == 200 and verifiers is not None:
                    verifiers.add(item)

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(1.0, deadline - time.monotonic()))
    return time.monotonic() - t0


def wait_verified(items: list[Item], verifiers: Verifiers, deadline: float) -> None:
    while time.monotonic() < deadline and any(
            i.status == 200 and not i.verified for i in items):
        time.sleep(0.05)


def wait_published(items: list[Item], watcher: Watcher, deadline: float,
                   settle: float = 2.0) -> None:
    """Without clients: wait until the timestamp has not changed for `settle` seconds (the
    signer has caught up); which timestamp covered which file is worked out afterwards."""
    last_change = time.monotonic()
    version = watcher.version
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if watcher.version != version:
            version, last_change = watcher.version, time.monotonic()
        elif time.monotonic() - last_change >= settle:
            return


# --- published: from the metadata files themselves --------------------------------------------


def published_times(items: list[Item], *, tuf_dir: Path, roles: SuccinctRoles,
                    watcher: Watcher) -> None:
    """Set each item's `published` time: when the watcher first saw a timestamp whose
    snapshot names a version of the file's bin that lists the file."""
    by_bin: dict[str, list[Item]] = {}
    for item in items:
        if item.status == 200:
            by_bin.setdefault(roles.get_role_for_target(item.target), []).append(item)
    on_disk: dict[str, list[int]] = {}  # role -> its versions in storage
    for entry in os.listdir(tuf_dir):
        version, _, rest = entry.partition(".")
        if version.isdigit() and rest.endswith(".json"):
            on_disk.setdefault(rest.removesuffix(".json"), []).append(int(version))
    first_bin_version: dict[str, int] = {}  # item target -> first bin version listing it
    for name, members in by_bin.items():
        versions = sorted(on_disk.get(name, []))
        todo = {i.target for i in members}
        for version in versions:
            targets = json.loads((tuf_dir / f"{version}.{name}.json").read_bytes()
                                 )["signed"]["targets"]
            for target in [t for t in todo if t in targets]:
                first_bin_version[target] = version
                todo.discard(target)
            if not todo:
                break
    # Snapshot versions the watcher saw (a skipped one is covered by the next it saw).
    seen = sorted((watcher.snapshot_of[v], watcher.seen[v]) for v in watcher.seen)
    wanted = set(by_bin)
    bin_versions: list[tuple[float, dict[str, int]]] = []
    for snapshot_version, seen_at in seen:
        path = tuf_dir / f"{snapshot_version}.snapshot.json"
        if not path.exists():
            continue
        meta = json.loads(path.read_bytes())["signed"]["meta"]
        bin_versions.append((seen_at, {b: meta[f"{b}.json"]["version"] for b in wanted}))
    for name, members in by_bin.items():
        for item in members:
            need = first_bin_version.get(item.target)
            if need is None:
                continue
            for seen_at, versions in bin_versions:
                if versions[name] >= need:
                    item.published = seen_at
                    break


# --- summaries -------------------------------------------------------------------------------


def quantile(values: list[float], q: float) -> float | None:
    """The q-quantile by the nearest-rank method (p99 of 200 values is the 198th)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 1))
    return ordered[int(rank) - 1]


def latency_summary(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "p50_s": _r(quantile(values, 0.50)),
        "p90_s": _r(quantile(values, 0.90)),
        "p99_s": _r(quantile(values, 0.99)),
        "max_s": _r(max(values) if values else None),
        "mean_s": _r(statistics.fmean(values) if values else None),
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def phase_summary(items: list[Item], wall: float, verifiers: Verifiers | None,
                  rounds: tuple[int, int]) -> dict[str, Any]:
    """`rounds`: the slice of the clients' rounds that ran during this phase."""
    ok = [i for i in items if i.status == 200]
    rounds_of = verifiers.rounds[rounds[0]:rounds[1]] if verifiers is not None else []
    pick: Callable[[str], list[float]] = lambda key: [r[key] for r in rounds_of]  # noqa: E731
    return {
        "uploads": len(items),
        "uploads_ok": len(ok),
        "upload_errors": sorted({f"{i.status} {i.error[:120]}" for i in items if i.status != 200}),
        "upload_wall_s": round(wall, 3),
        "uploads_per_s": round(len(ok) / wall, 2) if wall else None,
        "upload_request": latency_summary([i.ok - i.posted for i in ok]),
        "published": latency_summary([i.published - i.ok for i in ok if i.published]),
        "verified": latency_summary([i.verified - i.ok for i in ok if i.verified]),
        "not_verified": sum(1 for i in ok if not i.verified) if verifiers else None,
        "not_published": sum(1 for i in ok if not i.published),
        "client_rounds": len(rounds_of),
        "client_files_per_round": round(statistics.fmean(pick("asked")), 1) if rounds_of
        else None,
        "client_refresh_s": latency_summary(pick("refresh_s")),
        "client_targets_s": latency_summary(pick("targets_s")),
    }
