"""`POST /legacy/`: twine's upload protocol. The view parses and answers; the service
decides. Every refusal puts its message in the HTTP reason phrase, because that is the only
part of the answer twine shows a person."""

from __future__ import annotations

import base64
import binascii
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from warden.accounts.twofactor.errors import TwoFactorRequiredForUpload
from warden.accounts.twofactor.policy import setup_url, upload_allowed
from warden.audit.origin import Interface, Origin
from warden.packaging.errors import UploadError
from warden.packaging.limits import LimitReached
from warden.packaging.models import File
from warden.packaging.publish import file_publish
from warden.packaging.upload.form import incoming_from_form
from warden.tokens.caveats import TokenError
from warden.tokens.services import TokenContext, token_authenticate

log = logging.getLogger("warden.upload")

AUTH_HELP = ("Invalid or non-existent authentication information. Uploads need an API "
             "token: use the username __token__ and the token as the password.")


def _reason_phrase(message: str) -> str:
    """`message` as a reason phrase: one line of latin-1 with no control characters. The
    message may echo what the uploader sent (a summary, say), and a CR/LF or an escape
    sequence there must neither split the status line nor reach twine's terminal."""
    reason = " ".join(message.split()).encode("latin-1", "replace").decode("latin-1")
    return "".join("?" if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 else c for c in reason)


def _size_shown(count: int) -> str:
    mib = 1024 * 1024
    return f"{count // mib} MiB ({count} bytes)" if count >= mib else f"{count} bytes"


def _refuse(message: str, status: int = 400) -> HttpResponse:
    # The body carries the same text in full.
    reason = _reason_phrase(message)
    response = HttpResponse(f"{status} {message}\n", status=status, reason=reason[:400],
                            content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Warden upload"'
    return response


class _Refusal(Exception):
    """Authentication refused, with the status that says which way (401: no credentials
    we understand, 403: credentials that don't admit the request)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _authenticate(header: str | None) -> TokenContext:
    if not header:
        raise _Refusal(AUTH_HELP, 401)
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise _Refusal(AUTH_HELP, 401)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _Refusal(AUTH_HELP, 401) from exc
    if not decoded:  # "Basic" with nothing after it: no credentials at all
        raise _Refusal(AUTH_HELP, 401)
    username, _, password = decoded.partition(":")
    if username != "__token__":
        raise _Refusal(AUTH_HELP, 403)
    try:
        return token_authenticate(raw=password)
    except TokenError as exc:
        raise _Refusal(exc.message, 403) from exc


@csrf_exempt  # authenticated by a token in a header, never by a cookie
@require_POST
def legacy_upload(request: HttpRequest) -> HttpResponse:
    # Authenticate before touching the body, so an anonymous client cannot make us write
    # a large upload to disk.
    try:
        context = _authenticate(request.headers.get("Authorization"))
    except _Refusal as exc:
        return _refuse(exc.message, exc.status)
    # A token is only as strong as the account that minted it: when policy requires a second
    # factor, a token whose user has none does not upload. Checked on every upload, not only
    # when the token was minted, since the factor may have been removed (or reset by staff)
    # since. Still before the body is read.
    try:
        upload_allowed(context.user, setup_at=request.build_absolute_uri(setup_url()))
    except TwoFactorRequiredForUpload as exc:
        return _refuse(str(exc.message), 403)
    try:
        post, files = request.POST, request.FILES
    except RequestDataTooBig:
        return _refuse("The upload's form fields are too large. The limit is "
                       f"{_size_shown(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)}.")
    except (TooManyFieldsSent, TooManyFilesSent):
        # Django would answer a bare "Bad Request", which is all twine would show.
        return _refuse("The upload has too many form fields or files; twine sends one file "
                       "and a few dozen fields.")
    except MultiPartParserError as exc:
        return _refuse(f"The upload isn't a well-formed multipart form ({exc}).")
    # Before anything else about the form: fields after an oversized file are never read.
    if getattr(request, "warden_upload_too_large", False):
        return _refuse(f"File too large. The limit is "
                       f"{_size_shown(settings.WARDEN_MAX_FILE_SIZE)}.")
    content = files.get("content")
    try:
        if post.get(":action") != "file_upload":
            return _refuse("Unsupported :action; this endpoint accepts file_upload only.")
        if post.get("protocol_version", "1") != "1":
            return _refuse("Unknown protocol_version; this endpoint speaks version 1.")
        if content is None:
            return _refuse("Upload payload does not have a file (the content field).")
        form = {key: post.getlist(key) for key in post}
        origin = Origin.from_request(request, interface=Interface.UPLOAD, actor=context.user,
                                     token=context.token)
        try:
            incoming = incoming_from_form(form=form, content=content,
                                          client=request.headers.get("User-Agent", ""))
            result = file_publish(incoming=incoming, owner=context.user, origin=origin,
                                  context=context)
        except (TokenError, TwoFactorRequiredForUpload) as exc:
            return _refuse(str(exc.message), 403)
        except LimitReached as exc:
            # 429 with Retry-After: a client that backs off knows when to come back.
            response = _refuse(exc.message, 429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except UploadError as exc:
            return _refuse(exc.message)
    finally:
        # Every uploaded file, not just `content`: each is a temp file on disk.
        for _field, uploads in files.lists():
            for uploaded in uploads:
                uploaded.close()
    if File.objects.filter(pk=result.file.pk, held=True).exists():
        # WARDEN_SCREEN_HOLD: say why the file is not installable yet (twine --verbose and
        # curl show this body).
        text = ("OK: the file is being screened for malware and will be listed once that "
                "has finished.\n")
    else:
        text = "OK\n" if result.created else "OK (already uploaded)\n"
    return HttpResponse(text, content_type="text/plain; charset=utf-8")
