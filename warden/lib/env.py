"""Reading WARDEN_* settings from the environment, failing loudly on bad values.

A typo in an operator's environment must stop the server at start-up, not surface later as
a silently ignored limit.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


class ConfigError(Exception):
    """A WARDEN_* variable has a value we cannot use."""


def env_str(name: str, default: str | None = None) -> str | None:
    """The value of `name`, or of the file named by `name_FILE` (for secrets)."""
    file_var = f"{name}_FILE"
    if file_var in os.environ:
        if name in os.environ:
            raise ConfigError(f"Set {name} or {file_var}, not both.")
        path = Path(os.environ[file_var])
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{file_var}: cannot read {path}: {exc.strerror}") from exc
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean (use true or false).")


_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2,
               "mb": 1024**2, "mib": 1024**2, "g": 1024**3, "gb": 1024**3, "gib": 1024**3}


def parse_size(text: str) -> int:
    """'100MiB' -> bytes. Units are binary: operators think of disk in powers of two."""
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        raise ValueError(f"{text!r} is not a size (examples: 100MiB, 2GiB, 5000)")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


def env_size(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return parse_size(value)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not a whole number.") from exc
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}.")
    return number
