"""Recompute the stored look-alike keys after the key learnt letter pairs (`rn` as `m`,
`cl` as `d`...; see warden.lib.lookalike).

Projects that existed before and only now share a key (`oci` and `od`, `gamma` and an older
`garnma`) all stay. One of them holds the new key, which is what a new name is compared with,
so a new look-alike of either is still refused: the one whose key does not change (`gamma`),
else the oldest. The others keep their old key, which no new key can equal: the new key of a
name is its old key folded further, and folding a folded key changes nothing.
"""

import re
from collections.abc import Callable

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from warden.lib.lookalike import lookalike_key

_SEPARATORS_RE = re.compile(r"[-_.]+")
_OLD_CHARACTERS = str.maketrans({"1": "l", "i": "l", "0": "o", "-": None})


def _new_key(name: str) -> str:
    return lookalike_key(_SEPARATORS_RE.sub("-", name).lower())


def _old_key(name: str) -> str:
    # The rule before this migration, frozen here for the way back.
    return _SEPARATORS_RE.sub("-", name).lower().translate(_OLD_CHARACTERS)


def _recompute(apps: StateApps, key: Callable[[str], str]) -> None:
    Project = apps.get_model("packaging", "Project")
    ProhibitedName = apps.get_model("packaging", "ProhibitedName")
    projects = list(Project.objects.order_by("pk").only("pk", "name", "confusable_key"))
    # Projects whose key stays keep it; these keys are distinct already.
    wanted = {project.pk: project.confusable_key for project in projects
              if key(project.name) == project.confusable_key}
    taken = set(wanted.values())
    for project in projects:
        if project.pk in wanted:
            continue
        for candidate in (key(project.name), project.confusable_key):
            if candidate not in taken:
                break
        else:
            # Cannot happen by the argument above; a key no name can have keeps the
            # migration from failing on a database that breaks it anyway.
            candidate = f"legacy:{project.pk}"
        taken.add(candidate)
        wanted[project.pk] = candidate
    changed = [project for project in projects if wanted[project.pk] != project.confusable_key]
    # Two steps, because the column is unique: a project may take the key another one is
    # about to give up.
    for project in changed:
        Project.objects.filter(pk=project.pk).update(confusable_key=f"moving:{project.pk}")
    for project in changed:
        Project.objects.filter(pk=project.pk).update(confusable_key=wanted[project.pk])
    for prohibited in ProhibitedName.objects.only("pk", "normalized_name"):
        ProhibitedName.objects.filter(pk=prohibited.pk).update(
            confusable_key=key(prohibited.normalized_name))


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    _recompute(apps, _new_key)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    _recompute(apps, _old_key)


class Migration(migrations.Migration):

    dependencies = [
        ('packaging', '0005_file_held_release_quarantined'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
