"""The installed checks: every class registered under the `warden.checks` entry point group,
Warden's own built-in ones included (they are registered by its `pyproject.toml`)."""

from __future__ import annotations

import functools
import logging
import re
from importlib.metadata import entry_points

from warden.checks.base import Check, Hook, State
from warden.lib.signals import CHECKS_ENTRY_POINT_GROUP

log = logging.getLogger("warden.checks")

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


class CheckLoadError(Exception):
    pass


def check_validate(cls: object) -> type[Check]:
    """`cls` if it is a usable check class; raises CheckLoadError saying why not."""
    if not (isinstance(cls, type) and issubclass(cls, Check)):
        raise CheckLoadError(f"{cls!r} is not a subclass of warden.checks.base.Check")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise CheckLoadError(f"{cls.__qualname__}.name must be 1-64 of a-z 0-9 _ . -")
    if not isinstance(cls.version, int) or cls.version < 1:
        raise CheckLoadError(f"{name}: version must be a positive integer")
    if not cls.hooks or not all(isinstance(h, Hook) for h in cls.hooks):
        raise CheckLoadError(f"{name}: hooks must be a non-empty set of Hook members")
    if not isinstance(cls.default_state, State):
        raise CheckLoadError(f"{name}: default_state must be a State")
    if cls.scan is Check.scan:
        raise CheckLoadError(f"{name}: scan is not implemented")
    return cls


@functools.cache
def installed() -> dict[str, type[Check]]:
    """name -> class, sorted by name. A check that fails to load is logged and left out:
    one broken plug-in must not stop the others (nor uploads)."""
    found: dict[str, type[Check]] = {}
    # Deterministic when two packages claim one name: Warden's own checks first, then by
    # distribution name; the first claim wins and the other is logged.
    points = sorted(entry_points(group=CHECKS_ENTRY_POINT_GROUP), key=lambda p: (
        (p.dist.name if p.dist else "") != "warden", p.dist.name if p.dist else "", p.name))
    for point in points:
        try:
            cls = check_validate(point.load())
        except Exception:
            log.exception("check %s (%s) could not be loaded", point.name, point.value)
            continue
        if cls.name in found and found[cls.name] is not cls:
            log.error("two checks are named %s; keeping %s, ignoring %s", cls.name,
                      found[cls.name].__module__, point.value)
            continue
        found[cls.name] = cls
    return dict(sorted(found.items()))
