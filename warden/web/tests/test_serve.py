import pytest
from django.core.management.base import CommandError

from warden.web.management.commands.serve import bind_parse


@pytest.mark.parametrize(("bind", "expected"), [
    ("127.0.0.1:8000", ("127.0.0.1", 8000)),
    ("[::1]:9000", ("::1", 9000)),
    ("localhost:80", ("localhost", 80)),
])
def test_bind_accepts_host_and_port(bind, expected):
    assert bind_parse(bind) == expected


@pytest.mark.parametrize("bind", ["8000", "127.0.0.1", "127.0.0.1:http", ":8000"])
def test_bind_without_host_and_numeric_port_is_refused(bind):
    with pytest.raises(CommandError, match="HOST:PORT"):
        bind_parse(bind)
