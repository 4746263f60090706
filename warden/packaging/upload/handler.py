"""Streams an upload to a temporary file on disk while hashing it, so that a 500 MB upload
costs the server constant memory and the digests need no second read."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler


class HashingUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.sha256 = hashlib.sha256()
        self.blake2_256 = hashlib.blake2b(digest_size=32)
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > settings.WARDEN_MAX_FILE_SIZE:
            # Keep reading the request (connection_reset=False) so the client gets our
            # 400 with a reason, not a reset connection it cannot explain.
            if self.request is not None:
                self.request.warden_upload_too_large = True  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=False)
        self.sha256.update(raw_data)
        self.blake2_256.update(raw_data)
        self.md5.update(raw_data)
        super().receive_data_chunk(raw_data, start)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        uploaded = super().file_complete(file_size)
        if uploaded is not None:
            uploaded.warden_digests = {  # type: ignore[attr-defined]
                "sha256": self.sha256.hexdigest(),
                "blake2_256": self.blake2_256.hexdigest(),
                "md5": self.md5.hexdigest(),
            }
        return uploaded
