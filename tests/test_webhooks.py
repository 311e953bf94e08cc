"""Webhooks: CRUD over the API, signed deliveries of fleet events to a real HTTP server, retries, and a
slow receiver that must not slow the charger. Run with the embedded background and with a Celery worker."""

import time

import pytest

from tests.conftest import eventually
from tests.ocpp_rpc import strict_charger
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.node

SECRET = "whsec-0123456789abcdef"
BOOT = {"chargePointVendor": "Acme", "chargePointModel": "AC22", "firmwareVersion": "1.0"}


@pytest.fixture
def receiver():
    live = Receiver(SECRET)
    yield live
    live.close()


def register(api, url: str, events: list[str], secret: str = SECRET) -> dict:
    answer = api.post(f"{api.base}/webhooks", json={"url": url, "secret": secret, "events": events})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_it_creates_lists_changes_and_deletes_webhooks_without_ever_showing_the_secret(bg_api, acme):
    created = register(bg_api, "https://billing.example.com/hook", ["transaction.started"])
    assert "secret" not in created and created["events"] == ["transaction.started"]
    listed = bg_api.get(f"{bg_api.base}/webhooks").json()
    assert [w["id"] for w in listed["webhooks"]] == [created["id"]] and "secret" not in listed["webhooks"][0]
    changed = bg_api.patch(f"{bg_api.base}/webhooks/{created['id']}", json={"events": ["charger.boot"]}).json()
    assert changed["events"] == ["charger.boot"] and changed["url"] == created["url"]
    assert bg_api.delete(f"{bg_api.base}/webhooks/{created['id']}").status_code == 204
    assert bg_api.get(f"{bg_api.base}/webhooks/{created['id']}").status_code == 404


def test_it_names_the_field_of_a_bad_webhook(bg_api, acme):
    answer = bg_api.post(f"{bg_api.base}/webhooks", json={"url": "https://x.example.com", "secret": SECRET,
                                                          "events": ["charger.exploded"]})  # fmt: skip
    assert answer.status_code == 400 and "events" in answer.text
    answer = bg_api.post(f"{bg_api.base}/webhooks", json={"url": "https://x.example.com", "events": ["charger.boot"]})
    assert answer.status_code == 400 and "secret" in answer.text


def test_it_stores_the_secret_encrypted(bg_api, acme):
    from webhooks.models import Webhook

    created = register(bg_api, "https://billing.example.com/hook", ["charger.boot"])
    assert SECRET not in Webhook.objects.get(pk=created["id"]).secret_encrypted


def test_it_delivers_signed_fleet_events_to_a_real_http_server(background, bg_api, charger, receiver):
    register(bg_api, receiver.url, ["charger.connected", "charger.boot", "connector.status", "transaction.started",
                                    "transaction.stopped", "charger.disconnected"])  # fmt: skip
    with strict_charger(background.ws, "CP-1") as cp:
        cp.call("BootNotification", BOOT)
        cp.call("StatusNotification", {"connectorId": 1, "status": "Charging", "errorCode": "NoError"})
        started = cp.call("StartTransaction", {"connectorId": 1, "idTag": "RFID-1", "meterStart": 100,
                                               "timestamp": "2026-02-10T14:00:00Z"})  # fmt: skip
        cp.call("StopTransaction", {"transactionId": started["transactionId"], "meterStop": 1600,
                                    "timestamp": "2026-02-10T15:00:00Z"})  # fmt: skip
    eventually(lambda: receiver.events("charger.disconnected"))
    boot = receiver.events("charger.boot")[0]
    assert boot["valid"] and boot["headers"]["Content-Type"] == "application/json"
    assert abs(int(boot["headers"]["X-CSMS-Timestamp"]) - time.time()) < 30
    assert boot["json"]["data"] == {"chargeBoxId": "CP-1", "vendor": "Acme", "model": "AC22", "firmwareVersion": "1.0",
                                    "status": "Accepted"}  # fmt: skip
    status = receiver.events("connector.status")[0]["json"]
    assert status["data"]["connectorId"] == 1 and status["data"]["status"] == "Charging"
    stopped = eventually(lambda: receiver.events("transaction.stopped"))[0]["json"]["data"]
    assert stopped["transactionId"] == str(started["transactionId"]) and stopped["energyWh"] == 1500
    assert receiver.events("charger.connected") and all(r["valid"] for r in receiver.received)


def test_it_sends_only_the_events_a_webhook_asked_for_and_only_its_organisations(background, bg_api, charger,
                                                                                 receiver, globex):  # fmt: skip
    from chargers.services.registry import charger_register

    charger_register(organisation=globex, charge_box_id="GX-1")
    register(bg_api, receiver.url, ["charger.boot"])
    with strict_charger(background.ws, "GX-1") as other, strict_charger(background.ws, "CP-1") as cp:
        other.call("BootNotification", BOOT)
        cp.call("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})
        cp.call("BootNotification", BOOT)
    boots = eventually(lambda: receiver.events("charger.boot"))
    time.sleep(0.5)
    assert [r["json"]["data"]["chargeBoxId"] for r in receiver.received] == ["CP-1"] and len(boots) == 1


def test_it_retries_a_failing_receiver_with_growing_delays_and_records_every_attempt(background, bg_api, charger):
    failing = Receiver(SECRET, fail_first=2)
    try:
        hook = register(bg_api, failing.url, ["charger.boot"])
        with strict_charger(background.ws, "CP-1") as cp:
            cp.call("BootNotification", BOOT)
            eventually(lambda: len(failing.received) >= 3)
        gaps = [b["at"] - a["at"] for a, b in zip(failing.received, failing.received[1:], strict=False)]
        assert gaps[1] > gaps[0] * 1.3 and gaps[0] >= 0.9, gaps  # 1 s, then 2 s
        assert len({r["headers"]["X-CSMS-Delivery"] for r in failing.received}) == 1
        deliveries = eventually(
            lambda: (
                (d := bg_api.get(f"{bg_api.base}/webhooks/{hook['id']}/deliveries").json()["deliveries"])
                and len(d) == 3
                and d
            )
        )
        assert [(d["attempt"], d["responseStatus"], d["succeeded"]) for d in deliveries] == [
            (3, 204, True), (2, 500, False), (1, 500, False)
        ]  # fmt: skip
        assert deliveries[2]["nextAttemptAt"] and deliveries[0]["nextAttemptAt"] is None
    finally:
        failing.close()


def test_it_gives_up_after_the_last_attempt(background, bg_api, charger):
    failing = Receiver(SECRET, fail_first=100)
    try:
        hook = register(bg_api, failing.url, ["charger.boot"])
        with strict_charger(background.ws, "CP-1") as cp:
            cp.call("BootNotification", BOOT)
        eventually(lambda: len(failing.received) >= 3)
        time.sleep(5)
        assert len(failing.received) == 3
        deliveries = bg_api.get(f"{bg_api.base}/webhooks/{hook['id']}/deliveries").json()["deliveries"]
        assert [d["succeeded"] for d in deliveries] == [False] * 3 and deliveries[0]["nextAttemptAt"] is None
    finally:
        failing.close()


def frames_time(background) -> float:
    """How long the charger waits for the answers to a boot and three status notifications."""
    with strict_charger(background.ws, "CP-1") as cp:
        started = time.monotonic()
        cp.call("BootNotification", BOOT)
        for connector in (1, 2, 3):
            cp.call("StatusNotification", {"connectorId": connector, "status": "Available", "errorCode": "NoError"})
        return time.monotonic() - started


def test_a_slow_receiver_does_not_slow_the_charger(background, bg_api, charger):
    unhooked = frames_time(background)
    slow = Receiver(SECRET, delay=3)
    try:
        register(bg_api, slow.url, ["connector.status", "charger.boot"])
        hooked = frames_time(background)
        # Delivered inline, four deliveries would add 12 s.
        assert hooked < unhooked + 2.0, (hooked, unhooked)
        eventually(lambda: len(slow.received) == 4)
    finally:
        slow.close()


def test_a_command_fires_command_completed(background, bg_api, charger, receiver):
    register(bg_api, receiver.url, ["command.completed"])
    with strict_charger(background.ws, "CP-1") as cp:
        cp.respond("Reset", {"status": "Accepted"})
        answer = bg_api.post(f"{bg_api.base}/chargers/CP-1/reset", json={"type": "Soft"}).json()
        completed = eventually(lambda: receiver.events("command.completed"))[0]["json"]["data"]
    assert completed["commandId"] == answer["commandId"] and completed["status"] == "answered"
    assert completed["response"] == {"status": "Accepted"} and completed["action"] == "Reset"


@pytest.mark.django_db
def test_an_event_no_webhook_asked_for_enqueues_nothing(acme, django_capture_on_commit_callbacks):
    """Frames raise events all the time: one that no active webhook wants must cost no task."""
    from django.db import transaction

    from webhooks.services import event_emit, webhook_create, webhook_update

    def callbacks(event: str) -> int:
        with transaction.atomic():
            with django_capture_on_commit_callbacks() as queued:
                event_emit(organisation_id=acme.pk, event=event, data={})
            transaction.set_rollback(True)  # counted, not run
        return len(queued)

    assert callbacks("connector.status") == 0
    hook = webhook_create(organisation=acme, url="http://127.0.0.1:9/hook", secret=SECRET, events=["charger.boot"])
    assert callbacks("charger.boot") == 1  # a change in this process applies at once
    assert callbacks("connector.status") == 0
    webhook_update(webhook=hook, active=False)
    assert callbacks("charger.boot") == 0


def energy_reading(wh: int, at: str, context: str) -> list[dict]:
    return [{"timestamp": at, "sampledValue": [
        {"value": wh, "context": context, "measurand": "Energy.Active.Import.Register"}]}]  # fmt: skip


def test_a_2_0_1_session_fires_the_same_events_as_a_1_6_one(background, bg_api, acme, receiver, ocpp2):
    from chargers.services.registry import charger_register

    for name in ("CP-16", "CP-201"):
        charger_register(organisation=acme, charge_box_id=name)
    register(bg_api, receiver.url, ["connector.status", "transaction.started", "transaction.stopped"])
    with strict_charger(background.ws, "CP-16") as old:
        old.call("StatusNotification", {"connectorId": 1, "status": "Charging", "errorCode": "NoError"})
        started = old.call("StartTransaction", {"connectorId": 1, "idTag": "RFID-1", "meterStart": 100,
                                                "timestamp": "2026-02-10T14:00:00Z"})  # fmt: skip
        old.call("StopTransaction", {"transactionId": started["transactionId"], "meterStop": 1600,
                                     "timestamp": "2026-02-10T15:00:00Z", "reason": "Local"})  # fmt: skip
    with strict_charger(background.ws, "CP-201", protocol=ocpp2) as new:
        new.call("StatusNotification", {"timestamp": "2026-02-10T14:00:00Z", "connectorStatus": "Occupied",
                                        "evseId": 2, "connectorId": 1})  # fmt: skip
        session = {"evse": {"id": 2, "connectorId": 1}, "idToken": {"idToken": "RFID-1", "type": "ISO14443"}}
        new.call("TransactionEvent", {
            "eventType": "Started", "timestamp": "2026-02-10T14:00:00Z", "triggerReason": "Authorized", "seqNo": 0,
            "transactionInfo": {"transactionId": "TX-201"},
            "meterValue": energy_reading(100, "2026-02-10T14:00:00Z", "Transaction.Begin"), **session})  # fmt: skip
        new.call("TransactionEvent", {
            "eventType": "Ended", "timestamp": "2026-02-10T15:00:00Z", "triggerReason": "StopAuthorized", "seqNo": 1,
            "transactionInfo": {"transactionId": "TX-201", "stoppedReason": "Local"},
            "meterValue": energy_reading(1600, "2026-02-10T15:00:00Z", "Transaction.End"), **session})  # fmt: skip
    eventually(lambda: len(receiver.events("transaction.stopped")) == 2)

    def fired(charge_box_id: str) -> dict:
        events = [r["json"] for r in receiver.received if r["json"]["data"]["chargeBoxId"] == charge_box_id]
        return {event["event"]: event["data"] for event in events}

    one, two = fired("CP-16"), fired("CP-201")
    assert sorted(one) == sorted(two) == ["connector.status", "transaction.started", "transaction.stopped"]
    for event in one:
        assert one[event].keys() == two[event].keys(), event
    assert (one["connector.status"]["evseId"], two["connector.status"]["evseId"]) == (None, 2)
    assert two["connector.status"]["status"] == "Occupied"
    assert (two["transaction.started"]["transactionId"], two["transaction.started"]["evseId"]) == ("TX-201", 2)
    assert two["transaction.started"]["idTag"] == one["transaction.started"]["idTag"] == "RFID-1"
    assert one["transaction.started"]["evseId"] is one["transaction.stopped"]["evseId"] is None
    assert two["transaction.stopped"]["evseId"] == 2
    for figure in ("meterStop", "energyWh", "reason"):
        assert one["transaction.stopped"][figure] == two["transaction.stopped"][figure], figure
    assert two["transaction.stopped"]["energyWh"] == 1500
