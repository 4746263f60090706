"""PLACEHOLDER: replaced by the project management work."""

from warden.web.views import home as projects  # noqa: F401
