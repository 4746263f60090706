"""Projects and prohibited names in the admin. Projects are read-only here: every change goes
through a service (`prohibited_name_add`, `project_remove`), so the simple pages, the journal
and the used filenames stay consistent. Django's own "delete" is not offered for projects."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from warden.accounts.models import User
from warden.audit.origin import Interface, Origin
from warden.packaging.models import ProhibitedName, Project
from warden.packaging.services import prohibited_name_add
from warden.packaging.staff import project_remove


def _origin(request: HttpRequest) -> Origin:
    return Origin.from_request(request, interface=Interface.ADMIN, actor=_staff(request))


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin admits active staff only
    return user


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ("name", "status", "created", "size")
    list_filter = ("status",)
    search_fields = ("name", "normalized_name")
    ordering = ("normalized_name",)
    readonly_fields = ("name", "normalized_name", "confusable_key", "status", "status_reason",
                       "size", "last_serial", "created")
    fields = readonly_fields
    actions = ("prohibit_names", "remove_projects")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # projects are created by their first upload

    def has_delete_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        return False  # "Remove selected projects" does it through the service

    @admin.display(description=_("Total size"), ordering="total_size")
    def size(self, project: Project) -> str:
        return filesizeformat(project.total_size)

    @admin.action(description=_("Prohibit the names of selected projects"))
    def prohibit_names(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        staff_user = _staff(request)
        count = 0
        for project in queryset:
            prohibited_name_add(name=project.name,
                                reason=f"prohibited by {staff_user.username} from the admin",
                                origin=_origin(request))
            count += 1
        self.message_user(request, ngettext(
            "Prohibited %(count)d name. Existing projects keep it; nobody can register it "
            "(or a look-alike) again.",
            "Prohibited %(count)d names. Existing projects keep them; nobody can register them "
            "(or look-alikes) again.",
            count) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Remove selected projects"))
    def remove_projects(self, request: HttpRequest,
                        queryset: QuerySet[Project]) -> HttpResponse | None:
        # Irreversible, so it asks first, like Django's own delete action.
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Remove projects?"),
                "projects": list(queryset),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "admin/packaging/project/remove_confirmation.html",
                                    context)
        origin = _origin(request)
        names = []
        for project in queryset:
            project_remove(project=project, origin=origin)
            names.append(project.name)
        self.message_user(request, ngettext(
            "Removed %(count)d project: %(names)s. Its file names can never be used again.",
            "Removed %(count)d projects: %(names)s. Their file names can never be used again.",
            len(names)) % {"count": len(names), "names": ", ".join(names)}, messages.SUCCESS)
        return None


class ProhibitedNameForm(forms.ModelForm[ProhibitedName]):
    class Meta:
        model = ProhibitedName
        fields = ("normalized_name", "reason")
        labels = {"normalized_name": _("Name")}
        help_texts = {"normalized_name": _("Look-alikes of the name are refused too.")}


@admin.register(ProhibitedName)
class ProhibitedNameAdmin(admin.ModelAdmin[ProhibitedName]):
    form = ProhibitedNameForm
    list_display = ("normalized_name", "reason", "created")
    search_fields = ("normalized_name", "reason")
    ordering = ("normalized_name",)

    def get_readonly_fields(self, request: HttpRequest,
                            obj: ProhibitedName | None = None) -> tuple[str, ...]:
        return ("normalized_name", "confusable_key", "created") if obj else ()

    def save_model(self, request: HttpRequest, obj: ProhibitedName, form: Any,
                   change: bool) -> None:
        # Through the service, which normalizes the name and computes its look-alike key.
        saved = prohibited_name_add(name=obj.normalized_name, reason=obj.reason,
                                    origin=_origin(request))
        obj.pk, obj.normalized_name = saved.pk, saved.normalized_name
        obj.confusable_key, obj.created = saved.confusable_key, saved.created
