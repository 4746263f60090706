"""Browser fixtures: Debian's Chromium driven by Playwright, and axe-core run in the page.

Never a downloaded browser: `executable_path` is the system Chromium that
scripts/browser-deps installs. axe-core is evaluated through the DevTools protocol, which
the page's Content-Security-Policy does not apply to, so the policy stays as users get it.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from warden.accounts.twofactor.totp import PERIOD, totp_code

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# WCAG 2.1 A and AA, as axe tags them.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or not AXE.exists():
        pytest.fail("browser tests need scripts/browser-deps (Chromium and axe-core)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS)
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    if violations:
        summary = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                    "nodes": [n["target"] for n in v["nodes"]][:5]} for v in violations]
        pytest.fail(f"axe found WCAG 2.1 AA violations on {page.url}:\n"
                    + json.dumps(summary, indent=2))


# Personas for browser tests: users made on the running server, logged in through its pages.
PASSWORD = "correct horse battery staple"
SECOND_STEP = "/accounts/2fa/authenticate/"
CODE_LABEL = "Code from your authenticator app"


@dataclass
class Totp:
    """A persona's authenticator app: its secret, and the last time step whose code was
    spent (the server accepts each step's code once, so the next login needs a later one)."""
    secret: str
    used: int


# username -> their authenticator app, for the personas made with `totp=True`.
TOTP: dict[str, Totp] = {}


def totp_enable(server: Any, username: str) -> Totp:
    """Turns TOTP on for `username` through the real service (as the set-up page does, with
    the code an app would show now), and remembers the secret for `log_in`."""
    out = server.shell(
        "import time\n"
        "from warden.accounts.models import User\n"
        "from warden.accounts.twofactor import services, totp\n"
        "from warden.audit.origin import Interface, Origin\n"
        f"u = User.objects.get(username={username!r})\n"
        "secret = totp.totp_secret_generate()\n"
        "step = int(time.time()) // totp.PERIOD\n"
        "services.totp_activate(user=u, secret=secret, code=totp.totp_code(secret, step),"
        " origin=Origin(interface=Interface.WEB, actor=u))\n"
        "print(secret, step)\n"
    )
    secret, step = out.splitlines()[-1].split()
    TOTP[username] = Totp(secret=secret, used=int(step))
    return TOTP[username]


def totp_next_code(username: str) -> str:
    """A code of `username`'s app that the server accepts and that is not spent: the current
    step's, or the next step's (one step of skew is accepted). When both are spent, by
    logging in twice within 30 s, it waits for the clock rather than weaken the replay rule."""
    app = TOTP[username]
    step = max(app.used + 1, int(time.time()) // PERIOD)
    while step > int(time.time()) // PERIOD + 1:
        time.sleep(0.5)
    app.used = step
    return totp_code(app.secret, step)


def person(server: Any, *, prefix: str = "u", staff: bool = False,
           superuser: bool = False, totp: bool = False) -> str:
    """A new user with PASSWORD and a verified address; returns the username. With `totp`,
    the user has an authenticator app too (`TOTP[username]`), as the policy requires of
    anyone who manages projects, creates tokens or uses the admin; `log_in` then completes
    the second step."""
    username = f"{prefix}{secrets.token_hex(4)}"
    server.warden("user", "create", username, "--email", f"{username}@example.invalid",
                  "--no-password")
    server.shell(
        "from warden.accounts.models import User\n"
        "from allauth.account.models import EmailAddress\n"
        f"u = User.objects.get(username={username!r})\n"
        f"u.set_password({PASSWORD!r})\n"
        f"u.is_staff = {staff!r}\n"
        f"u.is_superuser = {superuser!r}\n"
        "u.save()\n"
        "EmailAddress.objects.update_or_create(user=u, email=u.email,"
        " defaults={'verified': True, 'primary': True})\n"
    )
    if totp:
        totp_enable(server, username)
    return username


def log_in(server: Any, page: Any, username: str, next_url: str = "/") -> None:
    """Logs in through the real login page (checked by axe on the way), and through the
    second step with a fresh code for a persona with an authenticator app."""
    page.goto(f"{server.url}/accounts/login/?next={next_url}")
    assert_accessible(page)
    page.locator("#id_login").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if username not in TOTP:
        return
    assert urlsplit(page.url).path == SECOND_STEP, page.url
    assert_accessible(page)
    field = page.get_by_label(CODE_LABEL)  # its name ends "(required)"
    field.fill(totp_next_code(username))
    page.locator("form", has=field).get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path != SECOND_STEP, page.locator("main").inner_text()


def password_entered_long_ago(server: Any, username: str) -> None:
    """Ages the record of the user's last password entry in all their sessions by an hour,
    so the next sensitive action asks for the password again."""
    server.shell(
        "from django.contrib.sessions.models import Session\n"
        "from warden.accounts.models import User\n"
        f"pk = str(User.objects.get(username={username!r}).pk)\n"
        "for s in Session.objects.all():\n"
        "    d = s.get_decoded()\n"
        "    if d.get('_auth_user_id') == pk:\n"
        "        for r in d.get('account_authentication_methods', []):\n"
        "            r['at'] -= 3600\n"
        "        Session.objects.save(s.session_key, d, s.expire_date)\n"
    )
