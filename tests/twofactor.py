"""Helpers for the two-factor browser tests: the server at `localhost`, codes an
authenticator app would show, Chromium's virtual authenticator, and the login's two steps.

WebAuthn works only in a secure context with a relying-party id that is a host name, so
these tests browse `http://localhost:<port>` (the server's default WARDEN_WEBAUTHN_RP_ID is
`localhost`) rather than the `127.0.0.1` the shared fixture's URL names.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import PASSWORD, assert_accessible
from warden.accounts.twofactor.totp import DIGITS, PERIOD, SKEW_DIAGNOSIS, totp_code


# Fixtures are named explicitly, so test modules import them under another name
# (`site_fixture`) than the argument tests take (`site`).
@pytest.fixture(name="site")
def site_fixture(server: Any) -> Any:
    """The session's server, addressed as localhost (same data, same process)."""
    return dataclasses.replace(server, url=server.url.replace("127.0.0.1", "localhost"))


# -- TOTP: the codes an authenticator app shows ---------------------------------------------

def step_now() -> int:
    return int(time.time()) // PERIOD


def wrong_code(secret: str) -> str:
    """Six digits that are no code of this secret anywhere near now, so the server answers
    "not correct" (not "your clock is off")."""
    near = {totp_code(secret, step_now() + d)
            for d in range(-SKEW_DIAGNOSIS - 2, SKEW_DIAGNOSIS + 3)}
    return next(c for c in (f"{n:0{DIGITS}d}" for n in range(10 ** DIGITS)) if c not in near)


def recovery_codes_new(server: Any, username: str) -> list[str]:
    """A new set of recovery codes for a user with a factor, through the real service (the
    set the factor came with is never shown outside the pages); returns them."""
    out = server.shell(
        "from warden.accounts.models import User\n"
        "from warden.accounts.twofactor import services\n"
        "from warden.audit.origin import Interface, Origin\n"
        f"u = User.objects.get(username={username!r})\n"
        "print(*services.recovery_codes_regenerate(user=u,"
        " origin=Origin(interface=Interface.WEB, actor=u)))\n"
    )
    return out.splitlines()[-1].split()


# -- WebAuthn: Chromium's virtual authenticator ---------------------------------------------

def virtual_authenticator(page: Any) -> tuple[Any, str]:
    """Plugs a virtual CTAP2 USB key that can hold passkeys and verifies its user (PIN or
    fingerprint) into this page's browser, touched automatically when asked. Returns the
    DevTools session and the authenticator's id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return cdp, added["authenticatorId"]


def credentials(cdp: Any, authenticator_id: str) -> list[dict[str, Any]]:
    return list(cdp.send("WebAuthn.getCredentials",
                         {"authenticatorId": authenticator_id})["credentials"])


# -- Pages ----------------------------------------------------------------------------------

def is_logged_in(page: Any) -> bool:
    return page.get_by_role("button", name="Log out").count() == 1


def heading(page: Any) -> str:
    return str(page.get_by_role("heading", level=1).inner_text())


def password_step(site: Any, page: Any, username: str, next_url: str = "/") -> None:
    """The login's first step, through the real page (checked by axe on the way)."""
    page.goto(f"{site.url}/accounts/login/?next={next_url}")
    assert_accessible(page)
    page.locator("#id_login").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert not is_logged_in(page)


def totp_step(page: Any, code: str) -> None:
    """Types `code` into the second step's authenticator-app form and submits it."""
    page.locator("#totp_code").fill(code)
    page.locator("form:has(#totp_code)").get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def field_error(page: Any, field_id: str) -> str:
    """The error text tied to a field by aria-describedby, which is what a screen reader
    reads with it."""
    field = page.locator(f"#{field_id}")
    assert field.get_attribute("aria-invalid") == "true", f"#{field_id} is not marked invalid"
    ids = (field.get_attribute("aria-describedby") or "").split()
    texts = [page.locator(f"#{i}").inner_text() for i in ids
             if page.locator(f"#{i}").count()]
    return " ".join(texts)


def recovery_codes_shown(page: Any) -> list[str]:
    return [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]


def confirm_recovery_codes(page: Any) -> list[str]:
    """On the fresh recovery codes page: reads the codes, types the last one back to
    confirm they were kept; returns them."""
    assert heading(page) == "Recovery codes"
    codes = recovery_codes_shown(page)
    assert len(codes) == 10
    assert_accessible(page)
    page.locator("#confirm_code").fill(codes[-1])
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    return codes


@pytest.fixture(name="authenticator_page")
def authenticator_page_fixture(page: Any) -> Iterator[tuple[Any, Any, str]]:
    """`page` with a virtual authenticator plugged in: (page, cdp session, id)."""
    cdp, authenticator_id = virtual_authenticator(page)
    yield page, cdp, authenticator_id


def mail_subjects(server: Any, address: str) -> list[str]:
    """Subjects of the mails sent to `address` so far, oldest first (the file backend)."""
    mail_dir = Path(server.env["WARDEN_DATA_DIR"]) / "mail"
    subjects = []
    for path in sorted(mail_dir.glob("*"), key=lambda p: p.stat().st_mtime):
        for raw in re.split(rb"\n-{79}\n", path.read_bytes()):
            message = email.message_from_bytes(raw, policy=email.policy.default)
            if address in str(message.get("To", "")):
                subjects.append(str(message.get("Subject", "")))
    return subjects


def wait_for_mail(server: Any, address: str, subject_part: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(subject_part in s for s in mail_subjects(server, address)):
            return
        time.sleep(0.2)
    pytest.fail(f"no mail to {address} about {subject_part!r}: "
                f"{mail_subjects(server, address)}")
