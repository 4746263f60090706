"""Which of the user's pip arguments go to the fetch run, the install run, or both."""

from __future__ import annotations

import pytest

from warden_install.pipargs import PipArgsError, split


def test_requirements_and_their_options_go_to_both() -> None:
    args = split(["demo>=1", "-r", "reqs.txt", "--constraint=c.txt", "--pre", "-qq"])

    assert args.fetch == args.install == ["demo>=1", "-r", "reqs.txt", "--constraint=c.txt",
                                          "--pre", "-qq"]
    assert args.wanted


def test_install_options_go_to_the_install_run_with_their_values() -> None:
    args = split(["--target", "/t", "-U", "demo", "-t/u", "--user", "--upgrade-strategy",
                  "eager"])

    assert args.fetch == ["demo"]
    assert args.install == ["--target", "/t", "-U", "demo", "-t/u", "--user",
                            "--upgrade-strategy", "eager"]


def test_fetch_options_go_to_the_fetch_run() -> None:
    args = split(["--no-binary", ":all:", "--prefer-binary", "demo", "-C", "k=v"])

    assert args.fetch == ["--no-binary", ":all:", "--prefer-binary", "demo", "-C", "k=v"]
    assert args.install == ["demo"]


def test_a_requirements_file_alone_is_something_to_install() -> None:
    assert split(["-rreqs.txt"]).wanted
    assert not split(["-c", "constraints.txt", "--pre"]).wanted


@pytest.mark.parametrize("args", [["-i", "https://elsewhere.invalid/simple", "demo"],
                                  ["--index-url=https://elsewhere.invalid/simple"],
                                  ["--extra-index-url", "x"], ["-f", "dir"], ["--no-index"],
                                  ["--find-links=dir"], ["--proxy", "http://p.invalid"]])
def test_another_source_is_refused(args: list[str]) -> None:
    with pytest.raises(PipArgsError, match="fetches only from the verified index"):
        split(args)


def test_a_missing_value_is_an_error() -> None:
    with pytest.raises(PipArgsError, match="-r needs a value"):
        split(["demo", "-r"])
