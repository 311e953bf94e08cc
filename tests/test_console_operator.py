"""What operators reach for next in the console, without a browser: keys with scopes, webhooks, fleet jobs."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import ApiKey


@pytest.fixture
def boss(transactional_db):
    return User.objects.create_superuser("boss", "boss@example.com", "boss-password")


def test_an_api_key_without_scope_is_refused_naming_the_scopes(client, boss, acme):
    client.force_login(boss)
    response = client.post(reverse("admin:accounts_apikey_add"), {"organisation": acme.pk, "name": "nothing"})
    assert response.status_code == 200
    assert "Choose at least one scope" in response.context["adminform"].form.errors["scopes"][0]
    assert not ApiKey.objects.filter(name="nothing").exists()


def test_create_api_key_refuses_an_empty_scope_list(acme):
    with pytest.raises(CommandError, match="--scopes: name at least one"):
        call_command("create_api_key", "--org", "Acme", "--scopes", " , ")
    with pytest.raises(ValueError, match="at least one scope"):
        ApiKey.generate(organisation=acme, scopes=[])
    assert not ApiKey.objects.exists()


def test_the_api_key_shown_once_has_a_copy_button(client, boss, acme):
    client.force_login(boss)
    page = client.post(
        reverse("admin:accounts_apikey_add"), {"organisation": acme.pk, "name": "ci", "scopes": ["read:charge_points"]}
    ).content.decode()
    assert 'data-copy="#api-key"' in page and "console/copy.js" in page


# Webhooks.


@pytest.fixture
def webhook(acme):
    from webhooks.services import webhook_create

    return webhook_create(organisation=acme, url="http://127.0.0.1:9/old", secret="s" * 16, events=["charger.boot"])


def test_an_operator_changes_a_webhooks_url_and_events_and_its_secret_stays(client, boss, webhook):
    from webhooks.secrets import secret_decrypt

    client.force_login(boss)
    url = reverse("admin:webhooks_webhook_change", args=[webhook.pk])
    page = client.get(url).content.decode()
    assert webhook.secret_encrypted not in page and "s" * 16 not in page
    response = client.post(url, {"url": "https://billing.example.com/hook", "events": ["cdr.created", "charger.boot"],
                                 "active": "on"})  # fmt: skip
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.url == "https://billing.example.com/hook" and webhook.events == ["cdr.created", "charger.boot"]
    assert secret_decrypt(webhook.secret_encrypted) == "s" * 16


def test_a_webhook_needs_an_event(client, boss, acme):
    client.force_login(boss)
    response = client.post(reverse("admin:webhooks_webhook_add"), {"organisation": acme.pk, "url": "https://x.example"})
    assert "Choose at least one event" in response.context["adminform"].form.errors["events"][0]


def test_only_a_failed_delivery_of_an_active_webhook_is_resent(client, boss, webhook, monkeypatch):
    from webhooks import services
    from webhooks.models import Delivery

    sent = []
    monkeypatch.setattr(services, "enqueue", lambda task, *args, **kwargs: sent.append(args))
    failed = Delivery.objects.create(webhook=webhook, event="charger.boot", attempt=2, body="{}", timestamp=1)
    delivered = Delivery.objects.create(webhook=webhook, event="charger.boot", body="{}", timestamp=1, succeeded=True)
    client.force_login(boss)
    response = client.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "resend", "_selected_action": [failed.pk, delivered.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Resending 1 deliveries" in page and "1 not resent" in page
    assert sent == [(webhook.pk, str(failed.event_id), "charger.boot", "{}", 3)]


def test_a_retry_of_an_event_delivered_meanwhile_is_not_sent(webhook):
    from webhooks.models import Delivery
    from webhooks.services import delivery_attempt

    resent = Delivery.objects.create(webhook=webhook, event="charger.boot", attempt=2, body="{}", timestamp=1,
                                     succeeded=True)  # fmt: skip
    assert delivery_attempt(webhook_id=webhook.pk, event_id=str(resent.event_id), event="charger.boot", body="{}",
                            attempt=2) is None  # fmt: skip
    assert webhook.deliveries.count() == 1


# The charger page starts with the charger's state now.


def test_the_charger_page_starts_with_connectors_limits_reservations_and_site_share(client, boss, acme):
    from datetime import timedelta

    from django.utils import timezone

    from chargers.models import Site
    from chargers.services.registry import charger_register
    from chargers.services.reports import status_record
    from charging.models import Reservation, Transaction
    from smart_charging.services.charging_profiles import charging_profile_record

    depot = Site.objects.create(organisation=acme, name="Depot", capacity_limit=64)
    charger = charger_register(organisation=acme, charge_box_id="CP-1")
    charger.site = depot
    charger.save(update_fields=["site"])
    for connector, status in ((1, "Charging"), (2, "Unavailable")):
        status_record(charger_id=charger.pk, connector_id=connector, status=status, error_code="NoError")
    Transaction.objects.create(charger=charger, ocpp_id="77", evse_id=1, connector_id=1, id_tag="DRIVER-7",
                               start_time=timezone.now(), meter_start=0)  # fmt: skip
    charging_profile_record(charger=charger, connector_id=0, profile_id=3000, stack_level=0,
                            purpose="ChargePointMaxProfile", kind="Absolute",
                            schedule={"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0,
                                      "limit": 16}]})  # fmt: skip
    Reservation.objects.create(charger=charger, reservation_id=5, connector_id=2, id_tag="GUEST",
                               expiry_date=timezone.now() + timedelta(hours=1))  # fmt: skip
    client.force_login(boss)
    page = client.get(reverse("admin:chargers_charger_change", args=[charger.pk])).content.decode()
    assert page.index('id="charger-now"') < page.index('id="commands"') < page.index('name="charge_box_id"')
    now = page[page.index('id="charger-now"') : page.index('id="commands"')]
    command = reverse("admin:chargers_charger_command", args=[charger.pk, "transaction_stop"])
    assert f"{command}?transactionId=77" in now and "DRIVER-7" in now
    unlock = reverse("admin:chargers_charger_command", args=[charger.pk, "unlock"])
    assert f"{unlock}?connectorId=2" in now and "type=Operative" in now and "type=Inoperative" in now
    assert "<strong>11.0 kW</strong> (16 A, ChargePointMaxProfile #3000)" in now  # 16 A x 230 V x 3 phases
    assert "GUEST" in now and "?reservationId=5" in now
    assert "Depot" in now and "64.0 A" in now  # the session's share of the site (64 A, its only session)
    # A prefilled quick action: the form opens with the connector chosen.
    form = client.get(f"{unlock}?connectorId=2").content.decode()
    assert 'name="connectorId"' in form and 'value="2"' in form


# Command forms in operator words.


@pytest.fixture
def station(acme):
    """A 2.0.1 charging station on one phase at 240 V, with two EVSEs reported."""
    from chargers.models import Charger
    from chargers.services.registry import charger_register
    from chargers.services.reports import status_record
    from charging.models import IdTag

    charger = charger_register(organisation=acme, charge_box_id="CS-201")
    Charger.objects.filter(pk=charger.pk).update(ocpp_protocol="ocpp2.0.1", phases=1, voltage=240)
    for evse, status in ((1, "Available"), (2, "Occupied")):
        status_record(charger_id=charger.pk, evse_id=evse, connector_id=1, status=status, error_code="")
    for tag in ("DRIVER-7", "FLEET-1"):
        IdTag.objects.create(organisation=acme, id_tag=tag)
    return Charger.objects.get(pk=charger.pk)


def command_page(client, boss, charger, command: str) -> str:
    client.force_login(boss)
    return client.get(reverse("admin:chargers_charger_command", args=[charger.pk, command])).content.decode()


def test_connectors_are_picked_by_name_and_status(client, boss, station):
    page = command_page(client, boss, station, "availability")
    assert '<option value="0">0 · the whole charger</option>' in page
    assert '<option value="2">EVSE 2 · Occupied</option>' in page
    assert '<option value="0">' not in command_page(client, boss, station, "unlock")  # unlock names a connector


def test_id_tags_are_offered_and_a_schedule_is_typed_as_rows(client, boss, station):
    page = command_page(client, boss, station, "transaction_start")
    assert 'list="suggest-idTag"' in page and '<option value="DRIVER-7">' in page and '<option value="FLEET-1">' in page
    assert 'name="chargingProfile.chargingSchedule.chargingSchedulePeriod.0.limit"' in page
    assert 'textarea name="chargingProfile.chargingSchedule.chargingSchedulePeriod"' not in page


def test_schedule_rows_become_the_apis_periods(station):
    from console.commands import CommandForm

    prefix = "chargingProfile.chargingSchedule.chargingSchedulePeriod"
    post = {"connectorId": "0", "chargingProfile.chargingProfileId": "9", "chargingProfile.stackLevel": "0",
            "chargingProfile.chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfile.chargingProfileKind": "Absolute", "chargingProfile.chargingSchedule.chargingRateUnit": "A",
            f"{prefix}.0.startPeriod": "0", f"{prefix}.0.limit": "16", f"{prefix}.1.startPeriod": "3600",
            f"{prefix}.1.limit": "8", f"{prefix}.1.numberPhases": "1", f"{prefix}.2.startPeriod": "",
            f"{prefix}.2.limit": ""}  # fmt: skip
    form = CommandForm("charging_profile_set", post, charger=station)
    assert form.is_valid(), form.errors
    periods = form.params["chargingProfile"]["chargingSchedule"]["chargingSchedulePeriod"]
    assert [dict(p) for p in periods] == [{"startPeriod": 0, "limit": 16.0},
                                          {"startPeriod": 3600, "limit": 8.0, "numberPhases": 1}]  # fmt: skip
    # What was typed comes back in the rows (after an error, say), with empty rows to add more.
    rows = next(f for f in form.fields if f.name == prefix).rows
    assert rows[:2] == [["0", "16", ""], ["3600", "8", "1"]] and rows[2] == ["", "", ""]


def test_phases_and_voltage_come_from_the_charger(client, boss, station):
    page = command_page(client, boss, station, "power_limit_set")
    assert 'name="numberPhases" id="id_numberPhases" value="1"' in page
    assert 'name="voltage" id="id_voltage" value="240"' in page


def test_a_2_0_1_station_is_offered_its_own_trigger_names(client, boss, station, charger):
    page = command_page(client, boss, station, "trigger")
    assert '<option value="DiagnosticsStatusNotification">LogStatusNotification</option>' in page
    page = command_page(client, boss, charger, "trigger")  # 1.6
    assert '<option value="DiagnosticsStatusNotification">DiagnosticsStatusNotification</option>' in page
    page = command_page(client, boss, station, "extended_trigger")
    assert '<option value="SignChargePointCertificate">SignChargingStationCertificate</option>' in page


def test_a_webhooks_new_secret_is_shown_once_and_signs_from_then_on(client, boss, webhook):
    from webhooks.secrets import secret_decrypt

    client.force_login(boss)
    response = client.post(
        reverse("admin:webhooks_webhook_changelist"), {"action": "secret_renew", "_selected_action": [webhook.pk]}
    )
    assert "no-store" in response["Cache-Control"]
    secret = response.content.decode().split('id="webhook-secret" type="text" readonly value="')[1].split('"')[0]
    webhook.refresh_from_db()
    assert secret.startswith("whsec_") and secret_decrypt(webhook.secret_encrypted) == secret
    assert secret not in client.get(reverse("admin:webhooks_webhook_change", args=[webhook.pk])).content.decode()


# Fleet jobs from a bulk action.


def test_a_bulk_command_on_more_chargers_than_the_threshold_becomes_a_fleet_job(client, boss, acme, settings):
    from chargers.models import Charger
    from chargers.services.registry import charger_register
    from commands.models import FleetJob

    for n in range(1, 7):
        charger_register(organisation=acme, charge_box_id=f"CP-{n}")
    ids = ",".join(str(pk) for pk in Charger.objects.values_list("pk", flat=True))
    url = reverse("admin:chargers_charger_bulk_command", args=["reset"]) + f"?ids={ids}"
    client.force_login(boss)

    settings.CSMS_CONSOLE_FLEET_JOB_THRESHOLD = 6  # six chargers: the page waits for their answers
    page = client.post(url, {"type": "Soft"}).content.decode()
    assert 'id="bulk-results"' in page and not FleetJob.objects.exists()

    settings.CSMS_CONSOLE_FLEET_JOB_THRESHOLD = 5
    response = client.post(url, {"type": "Soft"})
    job = FleetJob.objects.get()
    assert response["Location"] == reverse("admin:commands_fleetjob_change", args=[job.pk])
    assert (job.command, job.params, job.total, job.requested_by) == ("reset", {"type": "Soft"}, 6, "boss")
    assert job.selection == {"chargeBoxIds": [f"CP-{n}" for n in range(1, 7)]}
