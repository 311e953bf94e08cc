"""Commands from the admin over plain HTTP against the live server: forms validated as the API validates,
the charger's answer (or why there is none) shown, bulk actions, the configuration table."""

import re

import pytest
import requests
from django.contrib.auth.models import Permission, User

from accounts.models import Operator
from chargers.services.registry import charger_register
from commands.models import Command
from tests.ocpp_rpc import strict_charger

PASSWORD = "operator-password"


@pytest.fixture
def operator(acme):
    """Acme's operator: staff with the usual permissions, tied to Acme."""
    user = User.objects.create_user("olga", "olga@example.com", PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["accounts", "chargers", "charging", "smart_charging", "commands"]
        )
    )
    Operator.objects.create(user=user, organisation=acme)
    return user


class Browser:
    """A logged-in admin session over requests: forms posted with their CSRF token."""

    def __init__(self, server, username: str):
        self.base = server.http
        self.session = requests.Session()
        self.session.get(f"{self.base}/admin/login/")
        self.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path)

    def post(self, path: str, data: dict) -> requests.Response:
        token = self.session.cookies["csrftoken"]
        return self.session.post(self.base + path, data={"csrfmiddlewaretoken": token, **data})


@pytest.fixture
def browser(server, operator):
    return Browser(server, "olga")


def command_url(charger, command: str) -> str:
    return f"/admin/chargers/charger/{charger.pk}/command/{command}/"


def field_errors(page: str, name: str) -> str:
    found = re.search(rf'<ul class="errorlist" id="error-{re.escape(name)}">(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


def test_it_shows_every_command_as_a_button_on_the_charger_page(browser, charger):
    page = browser.get(f"/admin/chargers/charger/{charger.pk}/change/").text
    for command in ("reset", "unlock", "trigger", "availability", "configuration_change", "firmware_update",
                    "transaction_start", "transaction_stop", "reservation_create", "power_limit_set",
                    "data_transfer", "cache_clear", "charging_profile_clear", "composite_schedule",
                    "local_list_version"):  # fmt: skip
        assert f'href="{command_url(charger, command)}"' in page, command
    assert f"/admin/chargers/charger/{charger.pk}/configuration/" in page


@pytest.mark.parametrize(
    "command, data, field, says",
    [
        ("reset", {}, "type", "This field is required."),
        ("reset", {"type": "Medium"}, "type", "is not a valid choice"),
        ("unlock", {"connectorId": "0"}, "connectorId", "greater than or equal to 1"),
        ("firmware_update", {"location": "not a url", "retrieveDate": "2026-02-10T14:00"}, "location", "valid URL"),
        ("firmware_update", {"location": "https://x.example/fw.bin", "retrieveDate": "soon"}, "retrieveDate",
         "Datetime has wrong format"),
        ("power_limit_set", {}, "limit", "give one or more of"),
        ("transaction_start", {"idTag": "X" * 21}, "idTag", "no more than 20 characters"),
        ("reservation_create", {"connectorId": "1", "idTag": "TAG"}, "expiryDate", "This field is required."),
        ("charging_profile_set", {"connectorId": "1", "chargingProfile.chargingProfileId": "1",
                                  "chargingProfile.stackLevel": "0",
                                  "chargingProfile.chargingProfilePurpose": "TxDefaultProfile",
                                  "chargingProfile.chargingProfileKind": "Absolute",
                                  "chargingProfile.chargingSchedule.chargingRateUnit": "W",
                                  "chargingProfile.chargingSchedule.chargingSchedulePeriod.0.startPeriod": "0",
                                  "chargingProfile.chargingSchedule.chargingSchedulePeriod.0.limit": "-5"},
         "chargingProfile.chargingSchedule.chargingSchedulePeriod", "row 1, limit: Ensure this value is greater than"),
        ("composite_schedule", {"connectorId": "1", "duration": "0"}, "duration", "greater than or equal to 1"),
    ],
)  # fmt: skip
def test_it_refuses_what_the_api_refuses_naming_the_field(browser, charger, command, data, field, says):
    response = browser.post(command_url(charger, command), data)
    assert response.status_code == 200
    assert says in field_errors(response.text, field), response.text[-3000:]
    assert 'id="command-result"' not in response.text
    assert not Command.objects.exists()


def test_it_says_the_charger_is_offline(browser, charger):
    page = browser.post(command_url(charger, "reset"), {"type": "Soft"}).text
    assert 'data-outcome="charge_point_offline"' in page
    assert "CP-1 is not connected" in page
    command = Command.objects.get()
    assert command.status == "offline" and command.source == "admin"
    assert f"/admin/commands/command/{command.pk}/change/" in page


def test_the_command_log_shows_the_answer_who_asked_and_latency(browser, charger, operator):
    Command.objects.create(organisation=charger.organisation, charger=charger, action="Reset", request={"type": "Soft"},
                           source="admin", user=operator, requested_by="olga", status="answered",
                           response={"status": "Accepted"}, latency_ms=42)  # fmt: skip
    page = browser.get("/admin/commands/command/").text
    assert "olga (admin user)" in page
    assert '<td class="field-answer">Accepted</td>' in page  # the answer in a word, not its JSON
    assert "42 ms" in page and 'class="cs-command-answered"' in page


def test_staff_who_may_only_view_chargers_send_nothing(server, acme, charger):
    viewer = User.objects.create_user("olga", "olga@example.com", PASSWORD, is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_charger", "view_command"]))
    Operator.objects.create(user=viewer, organisation=acme)
    browser = Browser(server, "olga")
    assert browser.get(command_url(charger, "reset")).status_code == 403
    assert browser.post(command_url(charger, "reset"), {"type": "Soft"}).status_code == 403
    assert browser.get(f"/admin/chargers/charger/bulk/reset/?ids={charger.pk}").status_code == 403
    assert "send_reset" not in browser.get("/admin/chargers/charger/").text
    assert not Command.objects.exists()


def test_a_transaction_id_a_16_charger_cannot_take_is_refused_as_the_api_refuses_it(browser, charger):
    # 2.0.1 transaction ids are strings, so the URL takes "abc"; OCPP 1.6's schema does not.
    response = browser.post(command_url(charger, "transaction_stop"), {"transactionId": "abc"})
    assert 'data-outcome="validation_error"' in response.text
    assert "transactionId: &#x27;abc&#x27; is not of type &#x27;integer&#x27;" in response.text, response.text[-3000:]
    assert not Command.objects.exists()


def test_a_remote_stop_link_names_the_open_transaction(browser, charger):
    from charging.models import Transaction

    Transaction.objects.create(charger=charger, ocpp_id="4242", connector_id=1, id_tag="T", meter_start=0,
                               start_time="2026-03-01T10:00:00Z")  # fmt: skip
    page = browser.get(f"/admin/chargers/charger/{charger.pk}/change/").text
    link = f"{command_url(charger, 'transaction_stop')}?transactionId=4242"
    assert link in page
    form = browser.get(link).text
    assert '<option value="4242" selected>4242 · connector 1 · T</option>' in form


def test_another_organisations_charger_is_not_found(browser, globex):
    stranger = charger_register(organisation=globex, charge_box_id="GLOBEX-1")
    assert browser.get(command_url(stranger, "reset")).status_code == 404
    assert browser.post(command_url(stranger, "reset"), {"type": "Soft"}).status_code == 404
    assert not Command.objects.exists()


@pytest.mark.node
def test_it_sends_a_reset_and_shows_the_chargers_answer(server, browser, operator, charger):
    with strict_charger(server.ws, "CP-1") as cp:
        cp.respond("Reset", {"status": "Rejected"})
        page = browser.post(command_url(charger, "reset"), {"type": "Hard"}).text
        assert cp.next_call()["payload"] == {"type": "Hard"}
    assert 'data-outcome="answered"' in page
    assert "Hard reset rejected by charger" in page
    assert '<code class="cs-answer-status">Rejected</code>' in page
    command = Command.objects.get()
    assert (command.source, command.user_id, command.requested_by) == ("admin", operator.pk, "olga")
    assert command.response == {"status": "Rejected"}
    assert f"/admin/commands/command/{command.pk}/change/" in page


@pytest.mark.node
def test_it_shows_a_chargers_callerror(server, browser, charger):
    with strict_charger(server.ws, "CP-1") as cp:
        cp.respond("UnlockConnector", error={"code": "InternalError", "message": "motor jammed"})
        page = browser.post(command_url(charger, "unlock"), {"connectorId": "2"}).text
    assert 'data-outcome="charger_error"' in page
    assert "answered UnlockConnector with InternalError: motor jammed" in page


@pytest.mark.node
def test_it_sends_nested_parameters_as_the_api_does(server, browser, charger):
    with strict_charger(server.ws, "CP-1") as cp:
        cp.respond("SetChargingProfile", {"status": "Accepted"})
        page = browser.post(
            command_url(charger, "power_limit_set"), {"connectorId": "1", "limit.acMaxPowerA": "16"}
        ).text
        sent = cp.next_call()["payload"]
    assert 'data-outcome="answered"' in page, page[-2000:]
    assert sent["connectorId"] == 1
    assert sent["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 16


@pytest.mark.node
def test_a_bulk_action_sends_to_each_charger_and_shows_each_answer(server, browser, acme, globex, charger):
    other = charger_register(organisation=acme, charge_box_id="CP-2")
    offline = charger_register(organisation=acme, charge_box_id="CP-3")
    changelist = "/admin/chargers/charger/"
    stranger = charger_register(organisation=globex, charge_box_id="GLOBEX-1")
    chosen = {"action": "send_trigger", "_selected_action": [charger.pk, other.pk, offline.pk]}
    response = browser.post(changelist, chosen)
    assert response.url.endswith(f"/admin/chargers/charger/bulk/trigger/?ids={charger.pk},{other.pk},{offline.pk}")
    with strict_charger(server.ws, "CP-1") as one, strict_charger(server.ws, "CP-2") as two:
        one.respond("TriggerMessage", {"status": "Accepted"})
        two.respond("TriggerMessage", {"status": "Rejected"}, delay_ms=1500)
        one.respond("Heartbeat", {})
        # Another organisation's charger slipped into the ids is not sent anything.
        url = response.url.removeprefix(server.http) + f",{stranger.pk}"
        page = browser.post(url, {"requestedMessage": "Heartbeat"}).text
    rows = dict(re.findall(r'<tr data-charger="([^"]+)" class="([^"]+)">', page))
    assert rows == {"CP-1": "cs-ok", "CP-2": "cs-refused", "CP-3": "cs-failed"}
    assert "Trigger of Heartbeat rejected by charger" in page
    assert "CP-3 is not connected" in page
    assert Command.objects.filter(source="admin").count() == 3


@pytest.mark.node
def test_a_bulk_action_waits_for_slow_chargers_at_the_same_time(server, browser, acme, charger):
    others = [charger_register(organisation=acme, charge_box_id=f"CP-{n}") for n in (2, 3)]
    ids = ",".join(str(c.pk) for c in [charger, *others])
    with (
        strict_charger(server.ws, "CP-1") as a,
        strict_charger(server.ws, "CP-2") as b,
        strict_charger(server.ws, "CP-3") as c,
    ):
        for cp in (a, b, c):
            cp.respond("ClearCache", {"status": "Accepted"}, delay_ms=1500)
        response = browser.post(f"/admin/chargers/charger/bulk/cache_clear/?ids={ids}", {})
    assert response.text.count('class="cs-ok"') == 3
    assert response.elapsed.total_seconds() < 4  # not 3 × 1.5 s one after another


@pytest.mark.node
def test_the_configuration_page_lists_keys_and_changes_one(server, browser, charger):
    keys = [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
    ]
    url = f"/admin/chargers/charger/{charger.pk}/configuration/"
    with strict_charger(server.ws, "CP-1") as cp:
        cp.respond("GetConfiguration", {"configurationKey": keys})
        page = browser.get(url).text
        assert re.search(r'<tr data-key="NumberOfConnectors">.*?<td class="cs-value">2</td><td>yes</td>', page, re.S)
        assert 'id="edit-HeartbeatInterval"' in page and 'id="edit-NumberOfConnectors"' not in page

        cp.respond("ChangeConfiguration", {"status": "RebootRequired"})
        keys[0]["value"] = "600"
        cp.respond("GetConfiguration", {"configurationKey": keys})
        page = browser.post(url, {"key": "HeartbeatInterval", "value": "600"}).text
        calls = [cp.next_call() for _ in range(3)]
    assert calls[1] == {**calls[1], "action": "ChangeConfiguration",
                        "payload": {"key": "HeartbeatInterval", "value": "600"}}  # fmt: skip
    assert "Change of HeartbeatInterval RebootRequired by charger" in page
    assert 'value="600"' in page


def test_the_configuration_page_says_why_it_has_no_table(browser, charger):
    page = browser.get(f"/admin/chargers/charger/{charger.pk}/configuration/").text
    assert 'id="configuration-error"' in page and "CP-1 is not connected" in page


# Transactions: CSV export and the chart, from a real OCPP session.

START = "2026-03-01T10:00:00Z"


def meter(at: str, wh: int, watts: float | None) -> dict:
    sampled = [{"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]
    if watts is not None:
        sampled.append({"value": f"{watts / 1000:g}", "measurand": "Power.Active.Import", "unit": "kW"})
    return {"timestamp": at, "sampledValue": sampled}


def charge(cp, *, stop: bool = True, power: bool = True) -> int:
    """A session on connector 1: 10 kWh over an hour, metered every quarter hour."""
    started = cp.call(
        "StartTransaction", {"connectorId": 1, "idTag": "DRIVER-7", "meterStart": 1000, "timestamp": START}
    )
    transaction_id = started["transactionId"]
    readings = [("10:15", 3000, 8000), ("10:30", 5500, 10000), ("10:45", 8000, 10000), ("11:00", 11000, 12000)]
    for hhmm, wh, watts in readings:
        at = f"2026-03-01T{hhmm}:00Z"
        cp.call("MeterValues", {"connectorId": 1, "transactionId": transaction_id,
                                "meterValue": [meter(at, wh, watts if power else None)]})  # fmt: skip
    if stop:
        cp.call("StopTransaction", {"transactionId": transaction_id, "meterStop": 11000,
                                    "timestamp": "2026-03-01T11:00:00Z", "reason": "EVDisconnected"})  # fmt: skip
    return transaction_id


@pytest.fixture
def driver(acme):
    from charging.models import IdTag

    return IdTag.objects.create(organisation=acme, id_tag="DRIVER-7")


@pytest.mark.node
def test_transactions_export_as_csv_with_energy_and_duration(server, browser, charger, driver, acme, globex):
    with strict_charger(server.ws, "CP-1") as cp:
        transaction_id = charge(cp)
    response = browser.get("/admin/charging/transaction/export.csv?open=no")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment;" in response.headers["Content-Disposition"]
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("transaction id,charger,connector,id tag,start (UTC)")
    assert lines[1:] == [f"{transaction_id},CP-1,1,DRIVER-7,2026-03-01T10:00:00Z,2026-03-01T11:00:00Z,3600,"
                         f"1000,11000,10.000,EVDisconnected"]  # fmt: skip
    assert browser.get("/admin/charging/transaction/export.csv?open=yes").text.count("\n") == 1  # the header
    listing = browser.get("/admin/charging/transaction/").text
    assert "10.00<" in listing and "1:00:00" in listing and 'id="export-csv"' in listing


@pytest.mark.node
def test_a_transaction_page_charts_its_power_and_energy(server, browser, charger, driver):
    with strict_charger(server.ws, "CP-1") as cp:
        charge(cp)
    from charging.models import Transaction

    page = browser.get(f"/admin/charging/transaction/{Transaction.objects.get().pk}/change/").text
    assert 'data-power-points="4"' in page and 'data-energy-points="5"' in page
    assert page.count('data-series="power"') == 4
    assert "12 kW" not in page  # values are in titles, with units
    assert "10:15:00 · 8.00 kW" in page and "11:00:00 · 10.000 kWh" in page


@pytest.mark.node
def test_without_power_readings_the_chart_derives_power_from_the_register(server, browser, charger, driver):
    with strict_charger(server.ws, "CP-1") as cp:
        charge(cp, power=False)
    from charging.models import Transaction

    page = browser.get(f"/admin/charging/transaction/{Transaction.objects.get().pk}/change/").text
    assert "from the energy register" in page
    assert "10:15:00 · 8.00 kW" in page  # 2 kWh in a quarter hour
