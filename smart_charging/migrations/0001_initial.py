"""Installed charging profiles move here from `chargers`: the tables stay where they are.

State only: the rows and their tables (db_table) are untouched, so an existing database migrates
with nothing copied and nothing lost.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('chargers', '0010_foreign_keys_led_by_composite_indexes'),
        ('charging', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='InstalledChargingProfile',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('connector_id', models.PositiveIntegerField(help_text='0: the charger as a whole.')),
                    ('profile_id', models.IntegerField()),
                    ('stack_level', models.PositiveIntegerField(default=0)),
                    ('purpose', models.CharField(max_length=30)),
                    ('kind', models.CharField(max_length=20)),
                    ('recurrency_kind', models.CharField(blank=True, max_length=10)),
                    ('valid_from', models.DateTimeField(blank=True, null=True)),
                    ('valid_to', models.DateTimeField(blank=True, null=True)),
                    ('schedule', models.JSONField(help_text='The charging schedule as sent (rate unit, periods, ...).')),
                    ('installed_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('charger', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='charging_profiles', to='chargers.charger')),
                    ('transaction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='charging_profiles', to='charging.transaction')),
                ],
                options={
                    'verbose_name': 'installed charging profile',
                    'db_table': 'chargers_installedchargingprofile',
                    'ordering': ['charger', 'connector_id', 'purpose', 'stack_level', 'profile_id'],
                    'constraints': [models.UniqueConstraint(fields=('charger', 'profile_id'), name='installed_charging_profile_unique')],
                },
            ),
            ],
            database_operations=[],
        ),
    ]
