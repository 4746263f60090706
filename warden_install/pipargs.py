"""Splitting the user's pip arguments between the two pip runs: `pip wheel` (fetching,
through the proxy) and `pip install` (offline, from the verified wheels)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Options that say which distributions are wanted: both runs must agree on them.
_BOTH_VALUE = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable",
               "--only-binary", "--log", "--progress-bar"}
_BOTH_FLAG = {"--pre", "--no-deps", "--ignore-requires-python", "--require-hashes",
              "--isolated", "--quiet", "--verbose", "--no-color"}
# How to fetch and build: meaningless offline, and `--no-binary` there would exclude the
# very wheels the first run built.
_FETCH_VALUE = {"--no-binary", "-C", "--config-settings", "--global-option", "--build-option",
                "--src", "--timeout", "--retries"}
_FETCH_FLAG = {"--prefer-binary", "--no-build-isolation", "--use-pep517", "--no-use-pep517",
               "--no-clean", "--check-build-dependencies"}
# Install options that take a value; unknown options go to `pip install` only, as flags.
_INSTALL_VALUE = {"-t", "--target", "--prefix", "--upgrade-strategy", "--report",
                  "--root-user-action"}
# Where to fetch from is warden-install's decision: these would fetch around the proxy.
_REFUSED = {"-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links",
            "--proxy"}
_VERBOSITY = re.compile(r"-[qv]+")


class PipArgsError(ValueError):
    pass


@dataclass
class PipArgs:
    fetch: list[str] = field(default_factory=list)  # for `pip wheel`
    install: list[str] = field(default_factory=list)  # for `pip install --no-index`
    wanted: bool = False  # a requirement was given (a name, a file, an editable)

    def both(self, *taken: str) -> None:
        self.fetch.extend(taken)
        self.install.extend(taken)


def _option(arg: str, names: set[str]) -> str | None:
    """The option of `names` that `arg` is, spelled alone or with its value attached
    (`--target=DIR`, `-tDIR`); None if it is none of them."""
    for name in names:
        if arg == name or (name.startswith("--") and arg.startswith(name + "=")) or \
                (not name.startswith("--") and arg.startswith(name) and len(arg) > 2):
            return name
    return None


def split(args: list[str]) -> PipArgs:
    """Routes each of `args` to the fetch run, the install run or both; raises
    PipArgsError for an option warden-install cannot honour."""
    result = PipArgs()
    args_left = iter(args)
    for arg in args_left:
        if not arg.startswith("-") or arg == "-":
            result.both(arg)
            result.wanted = True
            continue
        if _VERBOSITY.fullmatch(arg):
            result.both(arg)
            continue
        refused = _option(arg, _REFUSED)
        if refused:
            raise PipArgsError(f"{refused}: warden-install fetches only from the verified "
                               "index given by --index")
        for names, valued, target in ((_BOTH_VALUE, True, "both"), (_BOTH_FLAG, False, "both"),
                                      (_FETCH_VALUE, True, "fetch"),
                                      (_FETCH_FLAG, False, "fetch"),
                                      (_INSTALL_VALUE, True, "install")):
            name = _option(arg, names) if valued else (arg if arg in names else None)
            if name is None:
                continue
            taken = [arg]
            if valued and arg == name:
                value = next(args_left, None)
                if value is None:
                    raise PipArgsError(f"{name} needs a value")
                taken.append(value)
            if name in ("-r", "--requirement", "-e", "--editable"):
                result.wanted = True
            if target in ("both", "fetch"):
                result.fetch.extend(taken)
            if target in ("both", "install"):
                result.install.extend(taken)
            break
        else:
            result.install.append(arg)
    return result
