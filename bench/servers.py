"""The index servers under test.

Each server is a class with the same life cycle::

    srv.install()   # throwaway venv for the peers; checks the binary for Warden
    srv.start()     # start on 127.0.0.1:<free port>, wait until it answers
    srv.prepare()   # users / indexes / tokens needed before uploading
    srv.upload_target() -> (url, username, password)   # for twine
    srv.index_url()                 # --index-url for pip / uv
    srv.simple_root_url()           # /simple/ (or its equivalent)
    srv.simple_project_url(name)    # /simple/<name>/ (or its equivalent)
    srv.stop()

Everything runs in ``workdir`` (a temp dir removed by run.py) and listens on
127.0.0.1 only.
"""

from __future__ import annotations

import base64
import json
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

from procs import clean_env, free_port, log, run, spawn, stop, wait_http

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
UV = VENV_BIN / "uv"



# Runs inside the Warden under test, which may be an older commit (`--warden-bin`, to compare
# side by side): services took a request before they took an Origin.
ENABLE_TOTP = """
import inspect, time
from warden.accounts.models import User
from warden.accounts.twofactor import services, totp
user = User.objects.get(username="bench")
secret = totp.totp_secret_generate()
code = totp.totp_code(secret, int(time.time()) // totp.PERIOD)
if "origin" in inspect.signature(services.totp_activate).parameters:
    from warden.audit.origin import Interface, Origin
    origin = Origin(interface=Interface.CLI, actor=user, via="bench")
    services.totp_activate(user=user, secret=secret, code=code, origin=origin)
else:
    services.totp_activate(request=None, user=user, secret=secret, code=code)
"""

class Server:
    name = "server"
    ready_timeout = 90.0

    def __init__(self, workdir: Path, opts) -> None:
        self.workdir = workdir / self.name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.opts = opts
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.logfile = self.workdir / "server.log"
        self.cmdlog = self.workdir / "commands.log"
        self.versions: dict[str, str] = {}
        self.mode = ""
        self.startup_s: float | None = None

    # -- helpers -----------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _make_venv(self, specs: list[str]) -> Path:
        """Create a throwaway venv under workdir and install ``specs`` into it."""
        venv = self.workdir / "venv"
        env = clean_env()
        run([str(UV), "venv", "-q", "--python", sys.executable, str(venv)], env, 300, self.cmdlog)
        run(
            [str(UV), "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *specs],
            env,
            900,
            self.cmdlog,
        )
        return venv

    def _dist_versions(self, python: Path, dists: list[str]) -> dict[str, str]:
        code = (
            "import importlib.metadata as m, json, sys\n"
            "out = {}\n"
            "for d in sys.argv[1:]:\n"
            "    try:\n"
            "        out[d] = m.version(d)\n"
            "    except m.PackageNotFoundError:\n"
            "        pass\n"
            "print(json.dumps(out))\n"
        )
        res = run([str(python), "-c", code, *dists], clean_env(), 60, self.cmdlog)
        return json.loads(res.stdout)

    def _start(self, cmd: list[str], env: dict[str, str], ready_path: str) -> None:
        self.port = self.port or free_port()
        cmd = [c.replace("{port}", str(self.port)) for c in cmd]
        log(f"{self.name}: starting: {' '.join(cmd)}")
        self.proc = spawn(cmd, self.logfile, env, cwd=self.workdir)
        self.startup_s = wait_http(
            self.base + ready_path, self.ready_timeout, self.proc, self.logfile
        )
        log(f"{self.name}: ready on {self.base} after {self.startup_s:.1f}s (pid {self.proc.pid})")

    # -- life cycle ---------------------------------------------------------
    def install(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def prepare(self) -> None:
        pass

    def upload_target(self) -> tuple[str, str, str]:
        raise NotImplementedError

    def index_url(self) -> str:
        return self.simple_root_url()

    def simple_root_url(self) -> str:
        return self.base + "/simple/"

    def simple_project_url(self, project: str) -> str:
        return self.base + f"/simple/{project}/"

    def stop(self) -> None:
        if self.proc is not None:
            log(f"{self.name}: stopping pid {self.proc.pid}")
            stop(self.proc)
            self.proc = None

    def describe(self) -> dict:
        return {"versions": self.versions, "mode": self.mode, "port": self.port}


class Warden(Server):
    """Warden itself, via the ``warden`` console script in the project venv."""

    name = "warden"
    ready_timeout = 180.0  # first start runs the migrations

    def __init__(self, workdir: Path, opts) -> None:
        super().__init__(workdir, opts)
        self.bin = Path(opts.warden_bin)
        self.data = self.workdir / "data"
        self.data.mkdir(exist_ok=True)
        self.token = ""

    def _env(self) -> dict[str, str]:
        # HOME in the temp dir too: gunicorn >= 27 puts a control socket under ~/.gunicorn.
        return clean_env(WARDEN_DATA_DIR=str(self.data), HOME=str(self.workdir))

    def install(self) -> None:
        if not self.bin.exists():
            raise FileNotFoundError(f"{self.bin} does not exist (is Warden installed in .venv?)")
        self.versions["warden"] = self._warden_version()
        self.mode = "`warden serve --bind 127.0.0.1:PORT` with its defaults"
        if self.opts.warden_serve_args:
            self.mode += f" plus `{self.opts.warden_serve_args}`"

    def _warden_version(self) -> str:
        # (`warden --version` is Django's and prints Django's version.)
        try:
            version = self._dist_versions(self.bin.parent / "python", ["warden"]).get(
                "warden", "unknown"
            )
        except (OSError, RuntimeError, subprocess.SubprocessError, ValueError):
            version = "unknown"
        try:
            sha = subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
            dirty = subprocess.run(
                [
                    "git",
                    "--no-optional-locks",
                    "-C",
                    str(REPO),
                    "status",
                    "--porcelain",
                    "--untracked-files=no",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
            if sha:
                version += f" (git {sha}{'+dirty' if dirty else ''})"
        except (OSError, subprocess.SubprocessError) as exc:
            log(f"warden: no git revision ({exc})")
        return version

    def start(self) -> None:
        extra = shlex.split(self.opts.warden_serve_args or "")
        self._start(
            [str(self.bin), "serve", "--bind", "127.0.0.1:{port}", *extra],
            self._env(),
            "/simple/",
        )

    def prepare(self) -> None:
        env = self._env()
        run(
            [
                str(self.bin),
                "user",
                "create",
                "bench",
                "--email",
                "bench@example.invalid",
                "--no-password",
            ],
            env,
            120,
            self.cmdlog,
        )
        # Warden requires a second factor to mint tokens and upload (the default policy, which
        # the benchmark measures): the bench user gets TOTP through the real service.
        run(
            [str(self.bin), "shell", "-c", ENABLE_TOTP],
            env,
            120,
            self.cmdlog,
        )
        res = run(
            [str(self.bin), "token", "create", "bench", "--expires", "1d"], env, 120, self.cmdlog
        )
        lines = [ln.strip() for ln in res.stdout.splitlines() if ln.strip()]
        if not lines:
            raise RuntimeError("`warden token create` printed no token")
        self.token = lines[-1]

    def upload_target(self) -> tuple[str, str, str]:
        return self.base + "/legacy/", "__token__", self.token


class Devpi(Server):
    """devpi-server in its default configuration (waitress, 50 threads)."""

    name = "devpi"
    user = "bench"
    password = "bench-password"  # noqa: S105 - throwaway server on 127.0.0.1
    index = "dev"

    def install(self) -> None:
        log(f"devpi: installing {self.opts.devpi_spec} into a throwaway venv")
        self.venv = self._make_venv(shlex.split(self.opts.devpi_spec))
        self.versions = self._dist_versions(
            self.venv / "bin" / "python", ["devpi-server", "waitress", "pyramid"]
        )
        self.mode = (
            "devpi-server defaults (waitress, 50 threads, sqlite storage); "
            "`devpi-init --no-root-pypi`, one index `bench/dev` with no bases"
        )

    def start(self) -> None:
        bindir = self.venv / "bin"
        serverdir = self.workdir / "serverdir"
        env = clean_env(HOME=str(self.workdir))
        run(
            [str(bindir / "devpi-init"), "--serverdir", str(serverdir), "--no-root-pypi"],
            env,
            300,
            self.cmdlog,
        )
        self._start(
            [
                str(bindir / "devpi-server"),
                "--serverdir",
                str(serverdir),
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
            ],
            env,
            "/+api",
        )

    def _request(self, method: str, path: str, payload: dict, auth: bool) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            cred = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {cred}"
        req = urllib.request.Request(
            self.base + path, data=json.dumps(payload).encode(), headers=headers, method=method
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"{}")

    def prepare(self) -> None:
        # devpi's HTTP API (what devpi-client uses): create a user, then an
        # index owned by it with no bases, so nothing is ever mirrored.
        self._request(
            "PUT",
            f"/{self.user}",
            {"password": self.password, "email": "bench@example.invalid"},
            False,
        )
        self._request(
            "PUT",
            f"/{self.user}/{self.index}",
            {"type": "stage", "bases": [], "volatile": True},
            True,
        )

    def upload_target(self) -> tuple[str, str, str]:
        return f"{self.base}/{self.user}/{self.index}/", self.user, self.password

    def simple_root_url(self) -> str:
        return f"{self.base}/{self.user}/{self.index}/+simple/"

    def simple_project_url(self, project: str) -> str:
        return f"{self.base}/{self.user}/{self.index}/+simple/{project}/"


class PyPIServer(Server):
    """pypiserver with the ``cache`` extra (watchdog), so its cached-dir backend is used.

    Default mode ``gunicorn``: the deployment its README documents,
    ``gunicorn -w4 'pypiserver:app(root=...)'`` (sync workers).  Mode ``auto``:
    the bare ``pypi-server run`` default (bottle's "auto" server, which is the
    single-threaded wsgiref when waitress/paste/twisted/cherrypy are absent).

    Not used: ``pypi-server run --server gunicorn`` with gevent workers, as in
    its container image.  There bottle is imported before gevent monkey-patches,
    so bottle's thread-local ``request`` is shared by all greenlets, and
    concurrent uploads fail with another request's form data ("Missing
    ':action' field!", "<other file> already exists").
    """

    name = "pypiserver"

    def install(self) -> None:
        specs = shlex.split(self.opts.pypiserver_spec)
        if self.opts.pypiserver_mode == "gunicorn":
            specs += shlex.split(self.opts.pypiserver_gunicorn_spec)
        log(f"pypiserver: installing {' '.join(specs)} into a throwaway venv")
        self.venv = self._make_venv(specs)
        self.versions = self._dist_versions(
            self.venv / "bin" / "python", ["pypiserver", "gunicorn", "watchdog"]
        )
        common = "cached-dir backend (watchdog), no authentication, fallback to PyPI disabled"
        if self.opts.pypiserver_mode == "gunicorn":
            self.mode = (
                f"`gunicorn -w{self.opts.pypiserver_workers} 'pypiserver:app(...)'` "
                f"(sync workers, as its README documents for gunicorn); {common}"
            )
        else:
            self.mode = f"`pypi-server run` default server (bottle auto: wsgiref here); {common}"

    def start(self) -> None:
        pkgdir = self.workdir / "packages"
        pkgdir.mkdir(exist_ok=True)
        # HOME points into the temp dir: gunicorn >= 27 puts a control socket
        # under ~/.gunicorn by default.
        env = clean_env(HOME=str(self.workdir))
        bindir = self.venv / "bin"
        if self.opts.pypiserver_mode == "gunicorn":
            factory = (
                f"pypiserver:app(roots=[{str(pkgdir)!r}], authenticate=[], "
                "password_file='.', disable_fallback=True)"
            )
            cmd = [
                str(bindir / "gunicorn"),
                "--workers", str(self.opts.pypiserver_workers),
                "--bind", "127.0.0.1:{port}",
                factory,
            ]  # fmt: skip
        else:
            cmd = [
                str(bindir / "pypi-server"), "run",
                "-i", "127.0.0.1", "-p", "{port}",
                "-a", ".", "-P", ".",
                "--disable-fallback",
                str(pkgdir),
            ]  # fmt: skip
        self._start(cmd, env, "/health")

    def upload_target(self) -> tuple[str, str, str]:
        # no authentication configured, but twine insists on credentials
        return self.base + "/", "bench", "bench"


SERVERS = {cls.name: cls for cls in (Warden, Devpi, PyPIServer)}
