"""The token pages and `warden token` use the token personas (warden/tokens/tests)."""

from warden.tokens.tests.conftest import demo, mallory, other

__all__ = ["demo", "mallory", "other"]
