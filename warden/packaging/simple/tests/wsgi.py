"""Calling a WSGI application in-process, the way a server would."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.util import setup_testing_defaults

from django.core import signals
from django.db import close_old_connections


def wsgi_call(app: Callable[..., Iterable[bytes]], path: str, *, method: str = "GET",
              query: str = "", extra: dict[str, Any] | None = None,
              **headers: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Like `wsgi_get`, with the headers as sent: in order, repeated names kept."""
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO=path, REQUEST_METHOD=method, QUERY_STRING=query, **(extra or {}))
    for name, value in headers.items():
        environ["HTTP_" + name.upper()] = value
    captured: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]],
                       exc_info: object = None) -> None:
        captured["status"] = int(status.split()[0])
        captured["headers"] = list(response_headers)

    # As Django's test client does: a server's request_finished closes the database
    # connection, which inside a test's transaction is the test's own (PostgreSQL; SQLite's
    # in-memory connection survives being closed).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(app(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return captured["status"], captured["headers"], body


def wsgi_get(app: Callable[..., Iterable[bytes]], path: str, *, method: str = "GET",
             query: str = "", extra: dict[str, Any] | None = None,
             **headers: str) -> tuple[int, dict[str, str], bytes]:
    status, response_headers, body = wsgi_call(app, path, method=method, query=query,
                                               extra=extra, **headers)
    return status, dict(response_headers), body


def django_must_not_answer(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise AssertionError(f"the fast path handed {environ['PATH_INFO']} to Django")
