"""The admin for operators: every model registered, org scoping, keys shown once, passwords hashed, registration."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from accounts.models import ApiKey, Operator
from accounts.secrets import secret_matches
from chargers.models import Charger, StatusNotification, UnknownCharger
from chargers.services.registry import charger_register
from chargers.services.reports import status_record
from charging.models import Transaction
from commands.models import Command

# The connectors inline's management form, for a charger whose connectors are left as they are.
NO_INLINE_CHANGES = {"connectors-TOTAL_FORMS": "0", "connectors-INITIAL_FORMS": "0"}


@pytest.fixture
def boss(transactional_db):
    """Staff tied to no organisation: sees the whole fleet."""
    return User.objects.create_superuser("boss", "boss@example.com", "boss-password")


@pytest.fixture
def alice(acme):
    """Acme's operator: staff with the usual permissions, tied to Acme."""
    user = User.objects.create_user("alice", "alice@example.com", "alice-password", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["accounts", "chargers", "charging", "smart_charging", "commands"]
        )
    )
    Operator.objects.create(user=user, organisation=acme)
    return user


@pytest.fixture
def fleets(acme, globex):
    acme_cp = charger_register(organisation=acme, charge_box_id="ACME-1")
    globex_cp = charger_register(organisation=globex, charge_box_id="GLOBEX-1")
    for cp in (acme_cp, globex_cp):
        status_record(charger_id=cp.pk, connector_id=1, status="Available", error_code="NoError")
    return acme_cp, globex_cp


def test_every_model_is_registered():
    from django.apps import apps

    for app_label in ("accounts", "chargers", "charging", "smart_charging", "commands"):
        for model in apps.get_app_config(app_label).get_models():
            assert admin.site.is_registered(model), model


def test_the_charger_list_shows_badges_and_connector_states(client, boss, fleets):
    client.force_login(boss)
    page = client.get(reverse("admin:chargers_charger_changelist")).content.decode()
    assert "ACME-1" in page and "GLOBEX-1" in page
    assert 'class="cs-badge cs-offline"' in page
    assert "cs-status-Available" in page and "1 Available" in page


@pytest.mark.parametrize(
    "query",
    ["online=no", "connector_status=Available", "vendor=X", "model=M", "firmware_version=1", "q=ACME"],
)
def test_the_charger_list_filters_and_searches(client, boss, fleets, query):
    client.force_login(boss)
    assert client.get(reverse("admin:chargers_charger_changelist") + "?" + query).status_code == 200


def test_the_yes_no_list_filters_keep_the_rows_they_name(client, boss, fleets):
    acme_cp, _ = fleets
    Charger.objects.filter(pk=acme_cp.pk).update(channel_name="specific.acme")
    for ocpp_id, fields in [
        ("TX-OPEN", {}),
        ("TX-DONE", {"stop_time": "2026-01-01T11:00Z"}),
        ("TX-QUIET", {"suspect": True}),
        ("TX-BY-HAND", {"stop_time": "2026-01-01T11:00Z", "closed_manually": True}),
    ]:
        Transaction.objects.create(charger=acme_cp, ocpp_id=ocpp_id, connector_id=1, id_tag="TAG",
                                   start_time="2026-01-01T10:00Z", meter_start=0, **fields)  # fmt: skip
    client.force_login(boss)

    def shown(model: str, query: str, names: tuple[str, ...]) -> set[str]:
        page = client.get(reverse(f"admin:{model}_changelist") + "?" + query).content.decode()
        return {name for name in names if f">{name}<" in page}

    chargers = ("ACME-1", "GLOBEX-1")
    assert shown("chargers_charger", "online=yes", chargers) == {"ACME-1"}
    assert shown("chargers_charger", "online=no", chargers) == {"GLOBEX-1"}
    sessions = ("TX-OPEN", "TX-DONE", "TX-QUIET", "TX-BY-HAND")
    assert shown("charging_transaction", "open=yes", sessions) == {"TX-OPEN", "TX-QUIET"}
    assert shown("charging_transaction", "open=no", sessions) == {"TX-DONE", "TX-BY-HAND"}
    assert shown("charging_transaction", "suspect=yes", sessions) == {"TX-QUIET"}
    assert shown("charging_transaction", "suspect=manual", sessions) == {"TX-BY-HAND"}
    assert shown("charging_transaction", "", sessions) == set(sessions)


def test_the_charger_list_searches_every_boot_field(client, boss, fleets):
    acme_cp, _ = fleets
    Charger.objects.filter(pk=acme_cp.pk).update(imsi="262019876543210", meter_serial_number="MTR-77")
    client.force_login(boss)
    for term in ("262019876543210", "MTR-77"):
        page = client.get(reverse("admin:chargers_charger_changelist") + f"?q={term}").content.decode()
        assert ">ACME-1<" in page and ">GLOBEX-1<" not in page


def test_an_organisation_operator_sees_only_their_organisation(client, alice, fleets):
    acme_cp, globex_cp = fleets
    client.force_login(alice)
    chargers = client.get(reverse("admin:chargers_charger_changelist")).content.decode()
    assert "ACME-1" in chargers and "GLOBEX-1" not in chargers
    assert client.get(reverse("admin:chargers_charger_change", args=[globex_cp.pk])).status_code == 302
    assert client.get(reverse("admin:chargers_charger_change", args=[acme_cp.pk])).status_code == 200
    history = client.get(reverse("admin:chargers_statusnotification_changelist")).content.decode()
    assert "ACME-1" in history and "GLOBEX-1" not in history
    organisations = client.get(reverse("admin:accounts_organisation_changelist")).content.decode()
    assert "Acme" in organisations and "Globex" not in organisations


def test_an_organisation_operator_cannot_give_a_charger_to_another_organisation(client, alice, fleets, globex):
    acme_cp, _ = fleets
    client.force_login(alice)
    response = client.post(
        reverse("admin:chargers_charger_change", args=[acme_cp.pk]),
        {"organisation": globex.pk, "charge_box_id": "ACME-1", "registration_status": "Accepted", **NO_INLINE_CHANGES},
    )
    assert response.status_code == 200  # the form again, with an error
    assert Charger.objects.get(pk=acme_cp.pk).organisation.name == "Acme"


def test_the_charger_page_shows_its_history(client, boss, charger):
    status_record(charger_id=charger.pk, connector_id=1, status="Faulted", error_code="GroundFailure")
    Transaction.objects.create(
        charger=charger, ocpp_id="77", connector_id=1, id_tag="TAG", start_time="2026-01-01T10:00Z", meter_start=0
    )
    Command.objects.create(
        organisation=charger.organisation,
        charger=charger,
        action="Reset",
        request={"type": "Soft"},
        source="admin",
        status="answered",
        response={"status": "Accepted"},
        latency_ms=12,
    )
    client.force_login(boss)
    page = client.get(reverse("admin:chargers_charger_change", args=[charger.pk])).content.decode()
    assert "GroundFailure" in page
    assert "Open transactions" in page and ">77<" in page
    assert "Reset" in page and "Accepted" in page and "12 ms" in page
    assert f'data-live-connector="{charger.pk}/1"' in page


def test_a_charger_password_is_set_hashed_and_never_shown(client, boss, charger):
    client.force_login(boss)
    url = reverse("admin:chargers_charger_change", args=[charger.pk])
    response = client.post(
        url,
        {
            "organisation": charger.organisation_id,
            "charge_box_id": "CP-1",
            "name": "Bay 1",
            "registration_status": "Accepted",
            "password": "a-long-charger-password",
            **NO_INLINE_CHANGES,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    charger.refresh_from_db()
    assert charger.password_matches("a-long-charger-password") and not charger.password_matches("wrong")
    page = client.get(url).content.decode()
    assert "a-long-charger-password" not in page and charger.password_digest not in page
    assert "set (stored hashed, never shown)" in page


def test_adding_a_charger_registers_it_with_a_password(client, boss, acme):
    UnknownCharger.objects.create(charge_box_id="NEW-1")
    client.force_login(boss)
    response = client.post(
        reverse("admin:chargers_charger_add"),
        {"organisation": acme.pk, "charge_box_id": "NEW-1", "registration_status": "Pending", "password": "pw-123456"},
    )
    assert response.status_code == 302
    added = Charger.objects.get(charge_box_id="NEW-1")
    assert added.registration_status == "Pending" and added.password_matches("pw-123456")
    assert not UnknownCharger.objects.filter(charge_box_id="NEW-1").exists()


def test_an_unknown_charger_is_registered_in_one_step(client, alice, acme):
    stranger = UnknownCharger.objects.create(charge_box_id="STRANGER-1", remote_address="10.0.0.9")
    client.force_login(alice)
    listing = client.get(reverse("admin:chargers_unknowncharger_changelist")).content.decode()
    register = reverse("admin:chargers_unknowncharger_register") + f"?ids={stranger.pk}"
    assert register.replace("&", "&amp;") in listing or register in listing
    form = client.get(register).content.decode()
    assert "STRANGER-1" in form and "Globex" not in form
    response = client.post(register, {"organisation": acme.pk, "name": "Found", "location": "Yard"})
    registered = Charger.objects.get(charge_box_id="STRANGER-1")
    assert response.status_code == 302 and response["Location"].endswith(f"/{registered.pk}/change/")
    assert registered.organisation == acme and registered.name == "Found"
    assert not UnknownCharger.objects.exists()


def test_the_register_action_takes_several_unknown_chargers(client, boss, acme):
    ids = [UnknownCharger.objects.create(charge_box_id=f"S-{i}").pk for i in range(2)]
    client.force_login(boss)
    changelist = reverse("admin:chargers_unknowncharger_changelist")
    response = client.post(changelist, {"action": "register", "_selected_action": ids})
    assert response.status_code == 302
    response = client.post(response["Location"], {"organisation": acme.pk})
    assert response.status_code == 302
    assert set(Charger.objects.filter(organisation=acme).values_list("charge_box_id", flat=True)) == {"S-0", "S-1"}


def test_an_organisation_operator_cannot_register_into_another_organisation(client, alice, globex):
    stranger = UnknownCharger.objects.create(charge_box_id="STRANGER-2")
    client.force_login(alice)
    url = reverse("admin:chargers_unknowncharger_register") + f"?ids={stranger.pk}"
    response = client.post(url, {"organisation": globex.pk})
    assert response.status_code == 200
    assert not Charger.objects.filter(charge_box_id="STRANGER-2").exists()


def test_an_api_key_is_shown_once_at_creation_and_its_digest_never(client, boss, acme):
    client.force_login(boss)
    response = client.post(
        reverse("admin:accounts_apikey_add"),
        {"organisation": acme.pk, "name": "billing", "scopes": ["read:charge_points"]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get(name="billing")
    page = response.content.decode()
    plain = page.split('id="api-key" type="text" readonly value="')[1].split('"')[0]
    assert plain.startswith(f"csms_{key.prefix}_") and secret_matches(plain, key.digest)
    assert key.scopes == ["read:charge_points"]
    for url in (
        reverse("admin:accounts_apikey_change", args=[key.pk]),
        reverse("admin:accounts_apikey_changelist"),
    ):
        later = client.get(url).content.decode()
        assert plain not in later and key.digest not in later and key.prefix in later


def test_history_is_read_only(client, boss, charger):
    status_record(charger_id=charger.pk, connector_id=1, status="Available", error_code="NoError")
    notification = StatusNotification.objects.get()
    client.force_login(boss)
    assert client.get(reverse("admin:chargers_statusnotification_add")).status_code == 403
    page = client.get(reverse("admin:chargers_statusnotification_change", args=[notification.pk])).content.decode()
    assert 'name="_save"' not in page
    for name in ("chargers_datatransfer", "chargers_firmwarestatus", "chargers_diagnosticsstatus",
                 "charging_metervalue", "charging_unmatchedstop", "charging_transaction"):  # fmt: skip
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:commands_command_changelist")).status_code == 200
    assert client.get(reverse("admin:commands_command_add")).status_code == 403


def test_the_admin_links_to_the_dashboard(client, boss):
    client.force_login(boss)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'href="/dashboard/"' in page


def test_demo_operator_prints_the_address_of_the_port_the_server_uses(transactional_db):
    from io import StringIO

    from django.core.management import call_command

    printed = StringIO()
    call_command("demo_operator", "--port", "8123", stdout=printed)
    assert "http://127.0.0.1:8123/admin/" in printed.getvalue()
    call_command("demo_operator", "--host", "csms.local", "--port", "9000", stdout=printed)
    assert "sign in at http://csms.local:9000/admin/" in printed.getvalue()


def test_the_console_shows_times_in_its_time_zone_while_the_api_keeps_utc(client, boss, charger, acme_key, settings):
    from datetime import UTC, datetime

    settings.CSMS_CONSOLE_TIME_ZONE = "Europe/Amsterdam"
    Charger.objects.filter(pk=charger.pk).update(last_seen_at=datetime(2026, 1, 15, 9, 30, 5, tzinfo=UTC))
    client.force_login(boss)
    page = client.get(reverse("admin:chargers_charger_changelist")).content.decode()
    assert "2026-01-15 10:30:05" in page  # CET
    form = client.get(reverse("admin:chargers_charger_command", args=[charger.pk, "reservation_create"]))
    assert "Europe/Amsterdam" in form.content.decode()  # what a typed time is read in
    client.logout()
    api = client.get("/api/v1/chargers/CP-1", HTTP_AUTHORIZATION=f"Bearer {acme_key}").json()
    assert "2026-01-15T09:30:05" in str(api) and "+01:00" not in str(api)
