"""Projects, releases and files: the index's data, with its invariants as constraints."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ProjectStatus(models.TextChoices):
    """PEP 792 project status markers."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    QUARANTINED = "quarantined"
    DEPRECATED = "deprecated"


class Project(models.Model):
    name = models.CharField(max_length=100)
    normalized_name = models.CharField(max_length=100, unique=True)
    # Names that collapse to the same key (`foo-bar`/`fo0bar`/`f00_bar`) would let an
    # attacker publish a look-alike; the constraint makes that impossible even under races.
    confusable_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=16, choices=ProjectStatus, default=ProjectStatus.ACTIVE)
    status_reason = models.TextField(blank=True, default="")
    total_size = models.BigIntegerField(default=0)
    last_serial = models.BigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ProhibitedName(models.Model):
    """A name nobody may register, nor any look-alike of it (`p1p` for `pip`)."""

    normalized_name = models.CharField(max_length=100, unique=True)
    confusable_key = models.CharField(max_length=100, db_index=True)
    reason = models.TextField(blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)


class RoleName(models.TextChoices):
    OWNER = "owner"
    MAINTAINER = "maintainer"


class Role(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="roles")
    role_name = models.CharField(max_length=16, choices=RoleName)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="one_role_per_user"),
        ]


class Release(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(max_length=100)
    canonical_version = models.CharField(max_length=100)
    # Core metadata, as the first upload of the release declared it.
    metadata_version = models.CharField(max_length=8)
    summary = models.CharField(max_length=512, blank=True, default="")
    description = models.TextField(blank=True, default="")
    description_content_type = models.CharField(max_length=128, blank=True, default="")
    author = models.TextField(blank=True, default="")
    author_email = models.TextField(blank=True, default="")
    maintainer = models.TextField(blank=True, default="")
    maintainer_email = models.TextField(blank=True, default="")
    license = models.TextField(blank=True, default="")
    license_expression = models.TextField(blank=True, default="")
    keywords = models.TextField(blank=True, default="")
    home_page = models.TextField(blank=True, default="")
    download_url = models.TextField(blank=True, default="")
    requires_python = models.CharField(max_length=200, blank=True, default="")
    classifiers = models.JSONField(default=list)
    requires_dist = models.JSONField(default=list)
    provides_extra = models.JSONField(default=list)
    project_urls = models.JSONField(default=dict)
    platform = models.JSONField(default=list)
    yanked = models.BooleanField(default=False)
    yanked_reason = models.TextField(blank=True, default="")
    # Staff (or the screening policy) stopped this release of an established project: its
    # files are offered nowhere until it is released (PEP 792 quarantine, per release).
    quarantined = models.BooleanField(default=False)
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "canonical_version"],
                                    name="one_release_per_version"),
        ]


class PackageType(models.TextChoices):
    SDIST = "sdist"
    WHEEL = "bdist_wheel"


class FileQuerySet(models.QuerySet["File"]):
    def offered(self) -> FileQuerySet:
        """The files an installer may see and download: not held for screening, not in a
        quarantined release, not of a quarantined project (PEP 792). Every place that
        offers files (pages, JSON API, downloads, the web site) filters through here."""
        return self.filter(held=False, release__quarantined=False).exclude(
            release__project__status=ProjectStatus.QUARANTINED)


class File(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="files")
    filename = models.CharField(max_length=255, unique=True)
    packagetype = models.CharField(max_length=16, choices=PackageType)
    python_version = models.CharField(max_length=64)
    requires_python = models.CharField(max_length=200, blank=True, default="")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, unique=True)
    blake2_256 = models.CharField(max_length=64, unique=True)
    md5 = models.CharField(max_length=32)
    path = models.CharField(max_length=512, unique=True)
    # PEP 658: the wheel's METADATA, stored beside the file as `<path>.metadata`.
    metadata_sha256 = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    yanked = models.BooleanField(default=False)
    upload_time = models.DateTimeField(auto_now_add=True)
    uploaded_via = models.CharField(max_length=100, blank=True, default="")
    token_id = models.CharField(max_length=64, blank=True, default="")
    # WARDEN_SCREEN_HOLD: kept out of every listing and download until screened.
    held = models.BooleanField(default=False)

    objects = FileQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release"], condition=Q(packagetype="sdist"),
                                    name="one_sdist_per_release"),
        ]


class UsedFilename(models.Model):
    """Every filename ever uploaded. A deleted file's name is never reusable, because
    installers and mirrors may have cached its hash under that name."""

    filename = models.CharField(max_length=255, unique=True)
    created = models.DateTimeField(auto_now_add=True)


class JournalEntry(models.Model):
    """One row per change; its id is the index's monotonically increasing serial."""

    name = models.CharField(max_length=100, db_index=True)
    version = models.CharField(max_length=100, blank=True, default="")
    action = models.CharField(max_length=200)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)


class SimplePage(models.Model):
    """The current rendering of a simple page. `key` is a normalized project name, or
    '' for the root index. The bodies are immutable, content-addressed objects in storage
    (`simple/<sha256>`), so a read is one lookup here plus a cached or streamed body."""

    key = models.CharField(max_length=100, primary_key=True)
    html_sha256 = models.CharField(max_length=64)
    json_sha256 = models.CharField(max_length=64)
    serial = models.BigIntegerField()


class PendingChange(models.Model):
    """A committed change whose pages (and TUF targets) are not published yet. Written by the
    change's own transaction (an insert, so concurrent changes never wait on each other);
    removed by the publisher's batch that covered it. `normalized_name` is the project's,
    empty when only the list of projects changed; `index_changed` says the root index must
    be published again. Journal serials cannot order this: they come from a sequence, so
    across projects they don't follow commit order."""

    normalized_name = models.CharField(max_length=100, blank=True, default="")
    index_changed = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)


class InvitationStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


class RoleInvitation(models.Model):
    """An owner's offer of a role. The invitee gets the role only by accepting it, so nobody
    is made responsible for a project (or shown as its maintainer) without agreeing."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    invitee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="role_invitations")
    inviter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    role_name = models.CharField(max_length=16, choices=RoleName)
    status = models.CharField(max_length=16, choices=InvitationStatus,
                              default=InvitationStatus.PENDING)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "invitee"],
                                    condition=Q(status="pending"),
                                    name="one_pending_invitation_per_invitee"),
        ]
