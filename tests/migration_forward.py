"""Migrate a populated database from the layout before the session and smart-charging rooms to today's.

`python -m tests.migration_forward` with DATABASE_URL naming an empty database: migrates it to the
migrations of that layout, fills it as that code would have (with the historical models, plus the
content types, a group permission and an admin log entry that the old code created), migrates it
forward and prints, as JSON, what the new code then reads.
"""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")
django.setup()

from datetime import UTC, datetime  # noqa: E402

from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

BEFORE = [
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("admin", "0003_logentry_add_action_flag_choices"),
    ("sessions", "0001_initial"),
    ("accounts", "0002_organisation_unknown_id_tag_policy"),
    ("chargers", "0010_foreign_keys_led_by_composite_indexes"),
    ("commands", "0003_foreign_keys_led_by_composite_indexes"),
    ("ocpp_ws", "0002_foreign_keys_led_by_composite_indexes"),
    ("webhooks", "0002_foreign_keys_led_by_composite_indexes"),
]
MOVED = ["idtag", "transaction", "chargerlocallist", "unmatchedstop", "metervalue", "transactionevent", "reservation",
         "installedchargingprofile"]  # fmt: skip
T0 = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def populate(apps) -> None:
    """What a fleet running the old layout had written."""
    model = apps.get_model
    org = model("accounts", "Organisation").objects.create(name="Acme")
    charger = model("chargers", "Charger").objects.create(organisation=org, charge_box_id="CP-MIGRATE")
    tag = model("chargers", "IdTag").objects.create(organisation=org, id_tag="RFID-1", note="fleet card")
    model("chargers", "IdTag").objects.create(organisation=org, id_tag="RFID-2", parent=tag)
    session = model("chargers", "Transaction").objects.create(
        charger=charger, ocpp_id="1794512337", connector_id=1, id_tag="RFID-1", start_time=T0, meter_start=1000,
        stop_time=T0.replace(hour=9), meter_stop=13500, energy_wh=12500,
    )  # fmt: skip
    for minute in range(3):
        model("chargers", "MeterValue").objects.create(
            charger=charger, connector_id=1, transaction=session, timestamp=T0.replace(minute=minute),
            value=str(1000 + minute * 100), numeric=1000 + minute * 100,
        )  # fmt: skip
    model("chargers", "TransactionEvent").objects.create(
        charger=charger, transaction=session, event_type="Started", seq_no=0, trigger_reason="Authorized",
        timestamp=T0, payload={"eventType": "Started"},
    )  # fmt: skip
    model("chargers", "Reservation").objects.create(
        charger=charger, reservation_id=7, connector_id=1, id_tag="RFID-1", expiry_date=T0, transaction=session
    )
    model("chargers", "UnmatchedStop").objects.create(
        charger=charger, transaction_id="999", meter_stop=5, timestamp=T0, payload={"transactionId": 999}
    )
    model("chargers", "ChargerLocalList").objects.create(charger=charger, version=3, entries={"RFID-1": {}})
    model("chargers", "InstalledChargingProfile").objects.create(
        charger=charger, connector_id=1, profile_id=11, purpose="TxProfile", kind="Absolute", transaction=session,
        schedule={"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]},
    )  # fmt: skip
    # What post_migrate and the admin of the old code had created: content types, an operator
    # group allowed to view sessions, and an admin history entry about a session.
    content_type = model("contenttypes", "ContentType")
    for name in MOVED:
        content_type.objects.create(app_label="chargers", model=name)
    transaction_type = content_type.objects.get(app_label="chargers", model="transaction")
    permission = model("auth", "Permission").objects.create(
        content_type=transaction_type, codename="view_transaction", name="Can view transaction"
    )
    group = model("auth", "Group").objects.create(name="Operators")
    group.permissions.add(permission)
    user = model("auth", "User").objects.create(username="alice", is_staff=True)
    user.groups.add(group)
    model("admin", "LogEntry").objects.create(
        user=user, content_type=transaction_type, object_id=str(session.pk), object_repr="CP-MIGRATE#1794512337",
        action_flag=2, change_message="closed by hand", action_time=T0,
    )  # fmt: skip


def read() -> dict:
    """What the new code finds."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import User

    from charging.models import (
        ChargerLocalList,
        IdTag,
        MeterValue,
        Reservation,
        Transaction,
        TransactionEvent,
        UnmatchedStop,
    )
    from smart_charging.models import InstalledChargingProfile

    session = Transaction.objects.get(ocpp_id="1794512337")
    entry = LogEntry.objects.get()
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                IdTag,
                Transaction,
                MeterValue,
                TransactionEvent,
                Reservation,
                UnmatchedStop,
                ChargerLocalList,
                InstalledChargingProfile,
            )  # fmt: skip
        },
        "session": [session.charger.charge_box_id, session.meter_start, session.meter_stop, session.energy_wh],
        "meter_values": [v.value for v in MeterValue.objects.filter(transaction=session).order_by("timestamp")],
        "child_of": IdTag.objects.get(id_tag="RFID-2").parent.id_tag,
        "profile_limit": InstalledChargingProfile.objects.get().schedule["chargingSchedulePeriod"][0]["limit"],
        "reservation_session": Reservation.objects.get().transaction.ocpp_id,
        "alice_may_view_sessions": User.objects.get(username="alice").has_perm("charging.view_transaction"),
        "log_entry_points_at": [entry.content_type.app_label, entry.get_edited_object().ocpp_id],
    }


def main() -> None:
    executor = MigrationExecutor(connection)
    state = executor.migrate(BEFORE)
    populate(state.apps)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    print(json.dumps(read()))


if __name__ == "__main__":
    main()
