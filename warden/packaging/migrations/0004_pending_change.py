from django.db import migrations, models


def requests_carry_over(apps, schema_editor):  # type: ignore[no-untyped-def]
    """A root index render still owed under the old scheme is owed under the new one."""
    if apps.get_model("packaging", "IndexRenderRequest").objects.exists():
        apps.get_model("packaging", "PendingChange").objects.create(index_changed=True)


class Migration(migrations.Migration):

    dependencies = [
        ("packaging", "0003_index_render_request"),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("normalized_name", models.CharField(blank=True, default="", max_length=100)),
                ("index_changed", models.BooleanField(default=False)),
                ("created", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.RunPython(requests_carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(name="IndexRenderRequest"),
    ]
