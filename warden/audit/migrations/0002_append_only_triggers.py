"""The database refuses to change or delete audit events, beyond what the application does:
a bug or a stray admin command must not rewrite history. The one change allowed is erasing
the IP data (ip_hash, ip_prefix) when retention ends."""

from django.db import migrations

UNCHANGED = " AND ".join(
    f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}" for column in (
        "id", "tag", "created", "chain", "seq", "previous_hash", "hash", "actor_id",
        "actor_username", "token_id", "token_description", "user_id", "username",
        "project_id", "project_name", "version", "filename", "ip_commitment", "user_agent",
        "details"))

POSTGRES = f"""
CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are append-only';
    END IF;
    IF NOT ({UNCHANGED}) OR NEW.ip_hash <> '' OR NEW.ip_prefix <> '' THEN
        RAISE EXCEPTION 'audit events are append-only (only IP data may be erased)';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""
POSTGRES_REVERSE = """
DROP TRIGGER audit_event_append_only ON audit_event;
DROP FUNCTION audit_event_append_only();
"""

SQLITE_UNCHANGED = UNCHANGED.replace("IS NOT DISTINCT FROM", "IS")
SQLITE = [
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       WHEN NOT ({SQLITE_UNCHANGED}) OR NEW.ip_hash <> '' OR NEW.ip_prefix <> ''
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER audit_event_no_delete;", "DROP TRIGGER audit_event_no_update;"]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
