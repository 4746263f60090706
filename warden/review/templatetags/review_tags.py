"""Filters that put the screening domain's values into words (`warden.review.labels`)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from warden.review import labels

register = template.Library()


@register.filter
def classification_label(value: str) -> str:
    return labels.label(labels.CLASSIFICATIONS, value)


@register.filter
def state_label(value: str) -> str:
    return labels.label(labels.STATES, value)


@register.filter
def review_label(value: str) -> str:
    return labels.label(labels.REVIEWS, value)


@register.filter
def action_label(value: str) -> str:
    return labels.label(labels.ACTIONS, value)


@register.filter
def hook_label(value: str) -> str:
    return labels.label(labels.HOOKS, value)


@register.filter
def percent(value: float | None) -> str:
    """0.873 -> "87%"; confidence and precision as staff read them."""
    if value is None:
        return ""
    return _("%(percent)d%%") % {"percent": round(value * 100)}


@register.filter
def last_line(text: str) -> str:
    """The last non-empty line: what a traceback says went wrong."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
