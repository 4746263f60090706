"""Background work of the audit trail, run by the task worker."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from warden.audit.services import audit_ip_erase


@task()
def audit_ip_retention() -> int:
    """Erase IP data older than WARDEN_AUDIT_IP_RETENTION_DAYS; the events themselves stay."""
    cutoff = timezone.now() - timedelta(days=settings.WARDEN_AUDIT_IP_RETENTION_DAYS)
    return audit_ip_erase(older_than=cutoff)
