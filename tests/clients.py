"""The real clients, run the way a person runs them: twine, pip, uv, and a hand-made
upload request for what no honest client would send."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def client_env(**extra: str) -> dict[str, str]:
    """The caller's environment minus anything that would point a client at another
    index or at a keyring, so the tests see only the server under test."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "UV_", "TWINE_", "WARDEN_", "PYTHON"))
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


@dataclass(frozen=True)
class Run:
    """A finished client command."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def error(self) -> str:
        """What twine prints about a refused request, from "HTTPError" on (the status
        line, then the server's message), with whitespace collapsed so that line
        wrapping does not matter."""
        text = self.output
        at = text.find("HTTPError")
        return " ".join(text[at:].split()) if at >= 0 else ""

    @property
    def message(self) -> str:
        """The server's own message in twine's report: what follows the status line
        `HTTPError: 403 Forbidden from <url>`."""
        _, sep, rest = self.error.partition(" from ")
        return rest.partition(" ")[2] if sep else ""

    def describe(self) -> str:
        return f"$ {' '.join(self.args)}\n(exit {self.returncode})\n{self.output}"


def run(args: list[str | Path], *, timeout: float = 300, **extra_env: str) -> Run:
    argv = [str(a) for a in args]
    done = subprocess.run(
        argv,
        env=client_env(**extra_env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(argv, done.returncode, done.stdout, done.stderr)


def twine_upload(
    url: str,
    files: list[Path],
    *,
    password: str,
    username: str = "__token__",
    skip_existing: bool = False,
) -> Run:
    args: list[str | Path] = [
        BIN / "twine",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        f"{url}/legacy/",
        "--username",
        username,
        "--password",
        password,
    ]
    if skip_existing:
        args.append("--skip-existing")
    # A wide "terminal", so twine does not wrap the server's message.
    return run([*args, *files], timeout=120, COLUMNS="400")


def uv_publish(url: str, files: list[Path], *, token: str, check_url: str | None = None) -> Run:
    args: list[str | Path] = [
        BIN / "uv",
        "publish",
        "--no-cache",
        "--publish-url",
        f"{url}/legacy/",
        "--token",
        token,
    ]
    if check_url:
        args += ["--check-url", check_url]
    return run([*args, *files], timeout=120)


def raw_upload(
    url: str,
    *,
    token: str,
    filename: str,
    content: bytes,
    name: str,
    version: str,
    filetype: str,
    digests: dict[str, str] | None = None,
    metadata_version: str = "2.1",
) -> requests.Response:
    """POST /legacy/ as twine would, but with every field in our hands. `digests`
    overrides the correct sha256/md5/blake2_256 digests of `content`."""
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": name,
        "version": version,
        "metadata_version": metadata_version,
        # What tests/dists.metadata_text writes, as twine would send it.
        "summary": f"{name}, a package for end-to-end tests",
        "requires_python": ">=3.8",
        "description_content_type": "text/plain",
        "description": f"{name} {version}: nothing to see here.\n",
        "filetype": filetype,
        "pyversion": "source" if filetype == "sdist" else "py3",
        "sha256_digest": hashlib.sha256(content).hexdigest(),
        "md5_digest": hashlib.md5(content, usedforsecurity=False).hexdigest(),
        "blake2_256_digest": hashlib.blake2b(content, digest_size=32).hexdigest(),
        **(digests or {}),
    }
    return requests.post(
        f"{url}/legacy/",
        data=fields,
        files={"content": (filename, content, "application/octet-stream")},
        auth=("__token__", token),
        timeout=120,
    )


def fresh_venv(directory: Path) -> Path:
    """A new virtual environment with pip (made by the standard library's venv, as a
    person would); returns its python."""
    done = run([sys.executable, "-m", "venv", directory], timeout=180)
    assert done.returncode == 0, done.describe()
    return directory / "bin" / "python"


def uv_venv(directory: Path) -> Path:
    """A new, pip-less virtual environment made by uv; returns its python."""
    done = run([BIN / "uv", "venv", "--quiet", "--python", sys.executable, directory])
    assert done.returncode == 0, done.describe()
    return directory / "bin" / "python"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
