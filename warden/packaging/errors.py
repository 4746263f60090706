"""The one exception type an upload check raises."""

from __future__ import annotations


class UploadError(Exception):
    """A refused upload.

    ``message`` goes back to the uploader verbatim (twine prints it), so it must
    make sense to a person who has never read this code.
    """

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
