"""Transactions, id tags, meter values and reservations move here from `chargers`: the tables stay where they are.

State only: the rows and their tables (db_table) are untouched, so an existing database migrates
with nothing copied and nothing lost.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0002_organisation_unknown_id_tag_policy'),
        ('chargers', '0010_foreign_keys_led_by_composite_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='ChargerLocalList',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('version', models.IntegerField(blank=True, help_text='The version the charger confirmed holding.', null=True)),
                    ('entries', models.JSONField(blank=True, default=dict)),
                    ('reported_version', models.IntegerField(blank=True, help_text='The last version the charger gave in answer to GetLocalListVersion.', null=True)),
                    ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                    ('charger', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='local_list', to='chargers.charger')),
                ],
                options={
                    'verbose_name': 'local authorization list',
                    'db_table': 'chargers_chargerlocallist',
                },
            ),
            migrations.CreateModel(
                name='Transaction',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('ocpp_id', models.CharField(max_length=64, verbose_name='transaction id')),
                    ('evse_id', models.PositiveIntegerField(default=0, help_text='OCPP 2.0.1 EVSE; for OCPP 1.6 the same as the connector.', verbose_name='EVSE')),
                    ('connector_id', models.PositiveIntegerField()),
                    ('id_tag', models.CharField(max_length=36)),
                    ('id_tag_status', models.CharField(blank=True, max_length=20)),
                    ('reservation_id', models.IntegerField(blank=True, null=True)),
                    ('start_time', models.DateTimeField()),
                    ('meter_start', models.BigIntegerField(help_text='Wh')),
                    ('stop_time', models.DateTimeField(blank=True, null=True)),
                    ('meter_stop', models.BigIntegerField(blank=True, help_text='Wh', null=True)),
                    ('stop_reason', models.CharField(blank=True, max_length=30)),
                    ('stop_id_tag', models.CharField(blank=True, max_length=36)),
                    ('energy_wh', models.BigIntegerField(blank=True, null=True)),
                    ('remote_start_id', models.IntegerField(blank=True, help_text='OCPP 2.0.1: the RequestStartTransaction that began it.', null=True)),
                    ('offline', models.BooleanField(default=False, help_text='Some of its messages were queued while offline.')),
                    ('last_seq_no', models.PositiveIntegerField(blank=True, help_text='OCPP 2.0.1: highest seqNo seen.', null=True)),
                    ('missing_seq_nos', models.JSONField(blank=True, default=list, help_text='OCPP 2.0.1: seqNos skipped so far (lost or still queued).')),
                    ('last_message_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('suspect', models.BooleanField(default=False, help_text='Open with no message from the charger for CSMS_TRANSACTION_SUSPECT_AFTER seconds.')),
                    ('closed_manually', models.BooleanField(default=False, help_text='Closed by an operator, not by the charger.')),
                    ('closed_by', models.CharField(blank=True, help_text='The API key or admin user who closed it.', max_length=200)),
                    ('close_reason', models.CharField(blank=True, help_text='Why it was closed by hand.', max_length=500)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('charger', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='transactions', to='chargers.charger')),
                ],
                options={
                    'db_table': 'chargers_transaction',
                    'ordering': ['-start_time', '-id'],
                },
            ),
            migrations.CreateModel(
                name='Reservation',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('reservation_id', models.IntegerField()),
                    ('connector_id', models.PositiveIntegerField()),
                    ('id_tag', models.CharField(max_length=36)),
                    ('parent_id_tag', models.CharField(blank=True, max_length=36)),
                    ('expiry_date', models.DateTimeField()),
                    ('status', models.CharField(choices=[('Active', 'Active'), ('Consumed', 'Consumed'), ('Cancelled', 'Cancelled'), ('Expired', 'Expired')], default='Active', max_length=10)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('charger', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='reservations', to='chargers.charger')),
                    ('transaction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reservations', to='charging.transaction')),
                ],
                options={
                    'db_table': 'chargers_reservation',
                    'ordering': ['-created_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='MeterValue',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('evse_id', models.PositiveIntegerField(default=0, help_text='OCPP 2.0.1 EVSE; for OCPP 1.6 the same as the connector.', verbose_name='EVSE')),
                    ('connector_id', models.PositiveIntegerField()),
                    ('reported_transaction_id', models.CharField(blank=True, max_length=64)),
                    ('timestamp', models.DateTimeField()),
                    ('value', models.TextField(help_text='OCPP sets no length limit: signed meter values run to kilobytes.')),
                    ('numeric', models.FloatField(blank=True, null=True)),
                    ('measurand', models.CharField(default='Energy.Active.Import.Register', max_length=60)),
                    ('unit', models.CharField(blank=True, max_length=20)),
                    ('phase', models.CharField(blank=True, max_length=10)),
                    ('context', models.CharField(blank=True, max_length=30)),
                    ('location', models.CharField(blank=True, max_length=20)),
                    ('format', models.CharField(blank=True, max_length=20)),
                    ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('charger', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='meter_values', to='chargers.charger')),
                    ('transaction', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='meter_values', to='charging.transaction')),
                ],
                options={
                    'db_table': 'chargers_metervalue',
                    'ordering': ['timestamp', 'id'],
                },
            ),
            migrations.CreateModel(
                name='TransactionEvent',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('event_type', models.CharField(max_length=10)),
                    ('seq_no', models.PositiveIntegerField()),
                    ('trigger_reason', models.CharField(max_length=30)),
                    ('timestamp', models.DateTimeField()),
                    ('offline', models.BooleanField(default=False)),
                    ('charging_state', models.CharField(blank=True, max_length=20)),
                    ('payload', models.JSONField()),
                    ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('charger', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='transaction_events', to='chargers.charger')),
                    ('transaction', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='charging.transaction')),
                ],
                options={
                    'db_table': 'chargers_transactionevent',
                    'ordering': ['transaction', 'seq_no', 'id'],
                },
            ),
            migrations.CreateModel(
                name='UnmatchedStop',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('transaction_id', models.CharField(max_length=64)),
                    ('id_tag', models.CharField(blank=True, max_length=36)),
                    ('meter_stop', models.BigIntegerField()),
                    ('timestamp', models.DateTimeField()),
                    ('reason', models.CharField(blank=True, max_length=30)),
                    ('payload', models.JSONField()),
                    ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('charger', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='unmatched_stops', to='chargers.charger')),
                ],
                options={
                    'db_table': 'chargers_unmatchedstop',
                    'ordering': ['-received_at'],
                },
            ),
            migrations.CreateModel(
                name='IdTag',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('id_tag', models.CharField(max_length=36)),
                    ('status', models.CharField(choices=[('Accepted', 'Accepted'), ('Blocked', 'Blocked'), ('Expired', 'Expired'), ('Invalid', 'Invalid')], default='Accepted', max_length=10)),
                    ('expiry_date', models.DateTimeField(blank=True, null=True)),
                    ('max_active_transactions', models.PositiveIntegerField(default=1)),
                    ('note', models.CharField(blank=True, max_length=200)),
                    ('auto_created', models.BooleanField(default=False, help_text='Recorded when a charger presented it under the accept-unknown-tags policy.')),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='id_tags', to='accounts.organisation')),
                    ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='children', to='charging.idtag')),
                ],
                options={
                    'verbose_name': 'id tag',
                    'db_table': 'chargers_idtag',
                    'ordering': ['id_tag'],
                    'constraints': [models.UniqueConstraint(models.F('organisation'), django.db.models.functions.text.Upper('id_tag'), name='id_tag_unique_ci', violation_error_message='The organisation has this id tag already (id tags are case-insensitive).')],
                },
            ),
            migrations.AddIndex(
                model_name='transaction',
                index=models.Index(fields=['charger', 'stop_time'], name='chargers_tr_charger_ee7b5e_idx'),
            ),
            migrations.AddIndex(
                model_name='transaction',
                index=models.Index(fields=['ocpp_id'], name='transaction_ocpp_id'),
            ),
            migrations.AddIndex(
                model_name='transaction',
                index=models.Index(django.db.models.functions.text.Upper('id_tag'), condition=models.Q(('stop_time__isnull', True)), name='transaction_open_by_tag'),
            ),
            migrations.AddConstraint(
                model_name='transaction',
                constraint=models.UniqueConstraint(fields=('charger', 'ocpp_id'), name='transaction_unique'),
            ),
            migrations.AddIndex(
                model_name='reservation',
                index=models.Index(fields=['status', 'expiry_date'], name='chargers_re_status_0e6837_idx'),
            ),
            migrations.AddConstraint(
                model_name='reservation',
                constraint=models.UniqueConstraint(fields=('charger', 'reservation_id'), name='reservation_unique'),
            ),
            migrations.AddIndex(
                model_name='metervalue',
                index=models.Index(fields=['transaction', 'timestamp'], name='chargers_me_transac_408b81_idx'),
            ),
            migrations.AddIndex(
                model_name='metervalue',
                index=models.Index(fields=['charger', '-timestamp'], name='chargers_me_charger_b659f4_idx'),
            ),
            migrations.AddConstraint(
                model_name='transactionevent',
                constraint=models.UniqueConstraint(fields=('transaction', 'seq_no'), name='transaction_event_seq_no_unique'),
            ),
            ],
            database_operations=[],
        ),
    ]
