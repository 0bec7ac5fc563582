"""API tokens stored hashed, replacing rest_framework.authtoken's plain keys.

The keys DRF's ``authtoken_token`` table holds are hashed into ``ApiToken`` (clients keep
working, with ``[auth] token_days`` from now to live), then that table is dropped: left
behind, it would keep every key readable by anyone with a copy of the database.
"""

import hashlib
from datetime import UTC, datetime, timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"


def _aware(created: datetime | str) -> datetime:
    """A raw column read: a string on SQLite, naive on MariaDB; it was UTC."""
    if isinstance(created, str):
        created = parse_datetime(created)
    return created if timezone.is_aware(created) else created.replace(tzinfo=UTC)


def hash_plain_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    table = schema_editor.quote_name(OLD_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {schema_editor.quote_name('key')}, created, user_id FROM {table}")
        rows = cursor.fetchall()
    expires = timezone.now() + timedelta(days=getattr(settings, "PYROS_TOKEN_DAYS", 90))
    ApiToken.objects.bulk_create(
        ApiToken(user_id=user_id, digest=hashlib.sha256(key.encode()).hexdigest(),
                 created=_aware(created), expires=expires)
        for key, created, user_id in rows)
    schema_editor.execute(f"DROP TABLE {table}")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_registration'),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('digest', models.CharField(help_text='SHA-256 of the key, hex', max_length=64, unique=True)),
                ('created', models.DateTimeField()),
                ('expires', models.DateTimeField()),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='api_token', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['user__username'],
            },
        ),
        migrations.RunPython(hash_plain_tokens, migrations.RunPython.noop, elidable=True),
    ]
