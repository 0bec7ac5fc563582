"""PostgreSQL only: a trigger that notifies listeners when a command is created
(channel pyros_commands, payload: recipient) and when it ends (pyros_results, payload:
id). Other databases have no notifications; their agents poll."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION pyros_command_notify() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('pyros_commands', NEW.recipient);
    ELSIF NEW.state IS DISTINCT FROM OLD.state
          AND NEW.state NOT IN ('PENDING', 'RUNNING') THEN
        PERFORM pg_notify('pyros_results', NEW.id::text);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER pyros_command_notify AFTER INSERT OR UPDATE OF state ON agents_command
    FOR EACH ROW EXECUTE FUNCTION pyros_command_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS pyros_command_notify ON agents_command;
DROP FUNCTION IF EXISTS pyros_command_notify();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("agents", "0001_initial")]
    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
