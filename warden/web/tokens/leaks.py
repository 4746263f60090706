"""POST /_/secret-scanning/report/: where secret scanners (GitHub's partner program format)
report Warden tokens they found in public (docs/tokens-leaks.md).

No session, no CSRF token, no cookie: the scanner's signature over the body is the only
credential. Every report that passes it gets the same answer, `200 []`, whether it named
live tokens of ours, revoked ones, another index's or made-up strings: the answer must not
turn the endpoint into an oracle for which tokens exist.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from warden.audit.origin import Interface, Origin
from warden.tokens.leaks import leak_reports_process
from warden.tokens.scanner import (
    MAX_REPORT_BYTES,
    ReportRejected,
    leak_reports_parse,
    report_signature_verify,
    scanner_keys_parse,
)

log = logging.getLogger("warden.tokens.leaks")

VIA = "secret scanning report"


def _refuse(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _body(request: HttpRequest) -> bytes:
    """The raw body, read up to the bound and no further; raises ReportRejected (400) past
    it. Read as bytes, never as a form: the signature is over these exact bytes."""
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_REPORT_BYTES:
        raise ReportRejected(f"The report is larger than {MAX_REPORT_BYTES} bytes.", status=400)
    body = request.read(MAX_REPORT_BYTES + 1)
    if len(body) > MAX_REPORT_BYTES:
        raise ReportRejected(f"The report is larger than {MAX_REPORT_BYTES} bytes.", status=400)
    return body


@csrf_exempt  # signed by the scanner; no cookie is ever read
@never_cache
@require_POST
def secret_scanning_report(request: HttpRequest) -> HttpResponse:
    configured = settings.WARDEN_TOKEN_SCANNER_KEYS
    if not configured:
        return _refuse("Leaked-token reports are not enabled on this index.", 404)
    # Parsed (and checked loudly) at start-up by the tokens app; cached per text.
    keys = scanner_keys_parse(configured)
    try:
        body = _body(request)
        # The signature before the body is parsed: nothing unauthenticated is interpreted.
        report_signature_verify(
            body=body, keys=keys,
            key_id=request.headers.get("Github-Public-Key-Identifier", ""),
            signature=request.headers.get("Github-Public-Key-Signature", ""))
        reports = leak_reports_parse(body)
    except ReportRejected as exc:
        log.warning("refused a secret scanning report: %s", exc.message)
        return _refuse(exc.message, exc.status)
    origin = Origin.from_request(request, interface=Interface.WEB, actor=None, via=VIA)
    revoked = leak_reports_process(reports=reports, origin=origin)
    log.info("secret scanning report: %d entries, %d live tokens revoked", len(reports),
             revoked)
    # Labels nothing: the same bytes for every accepted report.
    return JsonResponse([], safe=False)
