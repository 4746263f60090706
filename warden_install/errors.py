"""What can go wrong, each kind with the exit status and wording a user acts on.

The three kinds a user must tell apart need different reactions: wait and retry (not yet
signed), stop trusting this network path or mirror (tampered, metadata), or fix the
requirement (absent).
"""

from __future__ import annotations

EXIT_FAILED = 1  # pip failed, an unknown project, an unreachable index
EXIT_USAGE = 2  # argparse's own status for a bad command line
EXIT_NOT_YET_SIGNED = 3  # retrying in a few seconds will most likely work
EXIT_TAMPERED = 4  # something between the index's signer and us changed the bytes


class InstallError(Exception):
    """A failure reported to the user as its message alone, with `exit_status`."""

    exit_status = EXIT_FAILED


class NotFound(InstallError):
    """Neither signed nor on the server: an unknown project or file."""


class NotYetSigned(InstallError):
    exit_status = EXIT_NOT_YET_SIGNED

    def __init__(self, path: str) -> None:
        super().__init__(f"not yet signed: {path} was uploaded but is not signed yet; "
                         "retry in a few seconds")


class Tampered(InstallError):
    exit_status = EXIT_TAMPERED

    def __init__(self, path: str, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(f"tampered: {path} does not match the signed metadata{extra}")


class MetadataFailed(InstallError):
    """The TUF metadata itself did not verify: bad signatures, rollback, expiry..."""

    exit_status = EXIT_TAMPERED

    def __init__(self, detail: str) -> None:
        super().__init__(f"the index's TUF metadata failed verification: {detail}")


class Unreachable(InstallError):
    """A network failure talking to the index: nothing to conclude about its honesty."""
