"""Running pip in the target environment, with nothing to fetch from but the proxy."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Where pip would send anything not bound for the proxy: a port nothing listens on, so a
# requirements file that names another index (`-i`, `--extra-index-url`, a URL) fails
# instead of fetching around the verification.
_NOWHERE = "http://127.0.0.1:9"
_LOCAL = "127.0.0.1,localhost"


def pip_env(base: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if not k.upper().startswith("PIP_") and
           k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")}
    env.update(
        # The user's pip configuration may name other indexes; none of it applies here.
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        HTTP_PROXY=_NOWHERE, HTTPS_PROXY=_NOWHERE, ALL_PROXY=_NOWHERE, NO_PROXY=_LOCAL,
        http_proxy=_NOWHERE, https_proxy=_NOWHERE, all_proxy=_NOWHERE, no_proxy=_LOCAL,
    )
    return env


def pip_wheel(python: str, proxy_url: str, wheel_dir: Path, args: list[str]) -> int:
    """Fetches (and builds, for sdists) every distribution needed into `wheel_dir`."""
    # No cache: its keys hold the proxy's random port, so it would only ever grow.
    return _run([python, "-m", "pip", "wheel", "--no-cache-dir", "--wheel-dir", str(wheel_dir),
                 "--index-url", f"{proxy_url}/simple/", *args])


def pip_install(python: str, wheel_dir: Path, args: list[str]) -> int:
    return _run([python, "-m", "pip", "install", "--no-index", "--find-links", str(wheel_dir),
                 *args])


def _run(argv: list[str]) -> int:
    # pip's own output goes straight to the user's terminal, as with plain pip.
    try:
        return subprocess.run(argv, env=pip_env(), check=False).returncode  # noqa: S603
    except OSError as exc:
        raise PipNotRunnable(f"cannot run {argv[0]}: {exc.strerror}") from exc


class PipNotRunnable(OSError):
    pass
