"""Who may publish to a project, in one place: the token's scope, the person's role and the
second-factor policy. The upload path checks it before it reads the archive and again under
the project's lock; token creation checks the role part before it scopes a token."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from warden.accounts.models import User
from warden.accounts.twofactor.policy import setup_url, upload_allowed
from warden.audit.origin import Origin
from warden.packaging.models import Project, Role, RoleName
from warden.tokens.caveats import TokenError
from warden.tokens.models import Token
from warden.tokens.services import TokenContext, token_mint

UPLOAD_ROLES = (RoleName.OWNER, RoleName.MAINTAINER)


def _has_upload_role(*, user: User, project: Project) -> bool:
    return Role.objects.filter(project=project, user=user, role_name__in=UPLOAD_ROLES).exists()


def upload_authorize(*, context: TokenContext, project: Project | None,
                     project_name: str) -> None:
    """Raise unless `context` may upload to `project` (None: a new project named
    `project_name`, which an unscoped token may create)."""
    # A token is only as strong as the account that minted it: checked on every upload,
    # since the second factor may have been removed (or reset by staff) since minting.
    upload_allowed(context.user, setup_at=setup_url())
    if context.scoped:
        if context.project_names is None:
            scope = "given by id"
        else:
            scope = ", ".join(sorted(context.project_names)) or "(none)"
        # A scoped token is for the projects it names; creating one would widen it.
        if project is None:
            raise TokenError(
                f"This token is scoped to project(s) {scope}; it cannot create a new project.")
        # Every caveat must admit the project: the name alone would let a token reach a
        # project deleted and re-created under that name, the id alone a renamed one.
        names_ok = (context.project_names is None
                    or project.normalized_name in context.project_names)
        ids_ok = context.project_ids is None or str(project.pk) in context.project_ids
        if not (names_ok and ids_ok):
            raise TokenError(f"This token is scoped to project(s) {scope}; "
                             f"it isn't valid for project {project_name!r}.")
    # A token carries its user's rights, never more: scoped or not, the user must still hold
    # a role on the project now (roles can be removed after a token is minted).
    if project is not None and not _has_upload_role(user=context.user, project=project):
        raise TokenError(
            f"User {context.user.username!r} isn't allowed to upload to project {project_name!r}.")


def upload_token_mint(*, user: User, description: str, projects: Sequence[Project] = (),
                      expires: datetime | None = None, not_before: datetime | None = None,
                      origin: Origin) -> tuple[Token, str]:
    """An upload token for `user`, scoped to `projects` if any: `token_mint` after checking
    that `user` may upload to each, since a token can never be worth more than its owner."""
    for project in projects:
        if not _has_upload_role(user=user, project=project):
            raise TokenError(
                f"User {user.username!r} isn't an owner or maintainer of project "
                f"{project.name!r}, so can't make a token for it.")
    return token_mint(user=user, description=description, projects=projects, expires=expires,
                      not_before=not_before, origin=origin)
