"""The session and smart-charging models now live in `charging` and `smart_charging`.

State only: their tables keep their names and their rows. Their content types (and so the
permissions operators were given on them, and the admin's history) follow them to the new apps.
"""

from django.db import migrations

MOVED = {
    "charging": [
        "idtag",
        "transaction",
        "chargerlocallist",
        "unmatchedstop",
        "metervalue",
        "transactionevent",
        "reservation",
    ],
    "smart_charging": ["installedchargingprofile"],
}


def content_types_follow(apps, schema_editor, source="chargers", reverse=False):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, models in MOVED.items():
        old, new = (app_label, source) if reverse else (source, app_label)
        for model in models:
            if ContentType.objects.filter(app_label=new, model=model).exists():
                continue  # already there: leave both as they are rather than merge permissions by guess
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_return(apps, schema_editor):
    content_types_follow(apps, schema_editor, reverse=True)


class Migration(migrations.Migration):
    dependencies = [
        ("chargers", "0010_foreign_keys_led_by_composite_indexes"),
        ("charging", "0001_initial"),
        ("smart_charging", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="InstalledChargingProfile"),
                migrations.DeleteModel(name="TransactionEvent"),
                migrations.DeleteModel(name="MeterValue"),
                migrations.DeleteModel(name="Reservation"),
                migrations.DeleteModel(name="UnmatchedStop"),
                migrations.DeleteModel(name="ChargerLocalList"),
                migrations.DeleteModel(name="Transaction"),
                migrations.DeleteModel(name="IdTag"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
