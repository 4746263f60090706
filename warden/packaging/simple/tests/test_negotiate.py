import pytest

from warden.packaging.simple.negotiate import HTML_V1, JSON_V1, TEXT_HTML, negotiate

PIP_ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; "
              "q=0.1, text/html; q=0.01")


@pytest.mark.parametrize(("accept", "expected"), [
    (None, ("html", TEXT_HTML)),
    ("", ("html", TEXT_HTML)),
    (PIP_ACCEPT, ("json", JSON_V1)),
    ("text/html", ("html", TEXT_HTML)),
    ("application/vnd.pypi.simple.v1+html", ("html", HTML_V1)),
    ("application/vnd.pypi.simple.latest+json", ("json", JSON_V1)),
    ("text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.4", ("html", TEXT_HTML)),
    ("*/*", ("html", TEXT_HTML)),
])
def test_accept_header_picks_the_clients_preferred_format(accept, expected):
    assert negotiate(accept=accept) == expected


def test_equal_quality_goes_to_the_clients_first_choice():
    accept = "application/vnd.pypi.simple.v1+html, application/vnd.pypi.simple.v1+json"
    assert negotiate(accept=accept) == ("html", HTML_V1)


def test_unsupported_media_types_are_not_acceptable():
    assert negotiate(accept="application/xml, image/png") is None


def test_a_type_refused_with_q_zero_is_never_chosen():
    assert negotiate(accept="application/vnd.pypi.simple.v1+json;q=0") is None


def test_format_parameter_overrides_accept():
    assert negotiate(accept="text/html", format_param=JSON_V1) == ("json", JSON_V1)


def test_unknown_format_parameter_is_not_acceptable():
    assert negotiate(accept="text/html", format_param="application/pdf") is None


def test_format_parameter_with_an_unencoded_plus_still_works():
    assert negotiate(accept=None, format_param="application/vnd.pypi.simple.v1 json") == (
        "json", JSON_V1)
