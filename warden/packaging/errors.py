"""The one exception type a refused publish raises."""

from __future__ import annotations


class UploadError(Exception):
    """A refused upload.

    ``message`` goes back to the uploader verbatim (twine prints it), so it must
    make sense to a person who has never read this code.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
