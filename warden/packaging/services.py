"""State changes to projects and releases. Views, the upload endpoint and the CLI call these;
nothing else writes these tables."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from packaging.metadata import Metadata
from packaging.utils import canonicalize_version

from warden.accounts.models import User
from warden.packaging.models import (
    JournalEntry,
    ProhibitedName,
    Project,
    Release,
    Role,
    RoleName,
)
from warden.packaging.simple.render import simple_index_refresh
from warden.packaging.upload.errors import UploadError
from warden.packaging.upload.names import name_confusable_key, name_normalize, name_validate


def journal_add(*, project: Project, action: str, version: str = "",
                user: User | None = None) -> int:
    """Record a change and give the project the new serial. Call inside the change's
    transaction, after which the caller re-renders the project's simple page."""
    entry = JournalEntry.objects.create(name=project.name, version=version, action=action,
                                        submitted_by=user)
    project.last_serial = entry.pk
    Project.objects.filter(pk=project.pk).update(last_serial=entry.pk)
    return entry.pk


def project_name_check(*, name: str) -> None:
    """Raise UploadError unless a new project may be called `name`. `project_create` runs
    this itself; an upload also runs it before writing any bytes, so a refused name leaves
    nothing behind in storage."""
    name_validate(name)
    key = name_confusable_key(name)
    if ProhibitedName.objects.filter(confusable_key=key).exists():
        raise UploadError(f"The name {name!r} isn't allowed on this index.")
    # Look-alikes (`dem0` beside `demo`) are how typosquatting works; the unique
    # confusable_key makes this hold under races too.
    similar = Project.objects.filter(confusable_key=key).first()
    if similar is not None:
        raise UploadError(
            f"The name {name!r} is too similar to the existing project {similar.name!r}.")


def prohibited_name_add(*, name: str, reason: str = "") -> ProhibitedName:
    prohibited, _ = ProhibitedName.objects.update_or_create(
        normalized_name=name_normalize(name),
        defaults={"confusable_key": name_confusable_key(name), "reason": reason})
    return prohibited


def project_create(*, name: str, owner: User) -> Project:
    """A new project owned by `owner`. Call inside a transaction."""
    project_name_check(name=name)
    normalized = name_normalize(name)
    key = name_confusable_key(name)
    try:
        # A savepoint, so the constraint failing doesn't break the caller's transaction.
        with transaction.atomic():
            project = Project.objects.create(name=name, normalized_name=normalized,
                                             confusable_key=key)
    except IntegrityError as exc:
        # Lost a race with another upload creating the same (or a look-alike) name.
        raise UploadError(f"The name {name!r} is too similar to an existing project.") from exc
    Role.objects.create(project=project, user=owner, role_name=RoleName.OWNER)
    journal_add(project=project, action="create", user=owner)
    simple_index_refresh()
    return project


def _text(value: object) -> str:
    return "" if value is None else str(value)


def release_get(*, project: Project, version: str) -> Release | None:
    """The release of `project` whose version equals `version` under PEP 440 (1.0 == 1.0.0)."""
    return Release.objects.filter(project=project,
                                  canonical_version=canonicalize_version(version)).first()


def release_get_or_create(*, project: Project, meta: Metadata, uploader: User) -> Release:
    """The release for `meta.version`. The first upload of a release sets its metadata."""
    version = str(meta.version)
    release = release_get(project=project, version=version)
    if release is not None:
        return release
    canonical = canonicalize_version(version)
    release = Release.objects.create(
        project=project,
        version=version,
        canonical_version=canonical,
        metadata_version=_text(meta.metadata_version),
        summary=_text(meta.summary),
        description=_text(meta.description),
        description_content_type=_text(meta.description_content_type),
        author=_text(meta.author),
        author_email=_text(meta.author_email),
        maintainer=_text(meta.maintainer),
        maintainer_email=_text(meta.maintainer_email),
        license=_text(meta.license),
        license_expression=_text(meta.license_expression),
        keywords=",".join(meta.keywords or []),
        home_page=_text(meta.home_page),
        download_url=_text(meta.download_url),
        requires_python=_text(meta.requires_python),
        classifiers=list(meta.classifiers or []),
        requires_dist=[str(r) for r in meta.requires_dist or []],
        provides_extra=[str(e) for e in meta.provides_extra or []],
        project_urls=dict(meta.project_urls or {}),
        platform=list(meta.platforms or []),
        uploader=uploader,
    )
    journal_add(project=project, action="new release", version=version, user=uploader)
    return release


