"""PLACEHOLDER: replaced by the token management work."""

from warden.web.views import home as token_list_view  # noqa: F401
