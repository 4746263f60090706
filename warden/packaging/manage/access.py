"""Access rules for the management pages, stacked under `@login_required`.

A person with no role on a project gets 404 from every page of it, the same answer as for a
project that doesn't exist, so management URLs reveal nothing about who works on what.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from warden.packaging.models import Project, Role, RoleName
from warden.packaging.names import name_normalize

View = Callable[..., HttpResponse]


def _project_and_role(request: HttpRequest, name: str) -> tuple[Project, Role]:
    project = Project.objects.filter(normalized_name=name_normalize(name)).first()
    role = None
    if project is not None and request.user.is_authenticated:
        role = Role.objects.filter(project=project, user=request.user).first()
    if project is None or role is None:
        raise Http404
    return project, role


def project_member(view: View) -> View:
    """The URL's `name` becomes `project` and `role` (the user's): any role admits."""
    @wraps(view)
    def wrapper(request: HttpRequest, name: str, **kwargs: Any) -> HttpResponse:
        project, role = _project_and_role(request, name)
        return view(request, project=project, role=role, **kwargs)
    return wrapper


def project_owner(view: View) -> View:
    """Like `project_member`, for owners only. A maintainer knows the project exists, so
    they get 403; anyone else still gets 404."""
    @wraps(view)
    def wrapper(request: HttpRequest, name: str, **kwargs: Any) -> HttpResponse:
        project, role = _project_and_role(request, name)
        if role.role_name != RoleName.OWNER:
            raise PermissionDenied
        return view(request, project=project, role=role, **kwargs)
    return wrapper
