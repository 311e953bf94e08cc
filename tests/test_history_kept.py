"""History is never lost by accident: deleting a charger keeps its row and history, a purge is explicit,
re-registering restores, and the message log has a retention of its own, pruned in short batches."""

import asyncio
import logging
from datetime import timedelta

import pytest
import requests
import websockets
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY

from accounts.models import SCOPES, ApiKey
from chargers.models import Charger
from chargers.services.registry import charger_delete, charger_register
from charging.models import MeterValue, Transaction
from commands.models import Command
from csms.retention import batched_delete
from ocpp_ws import tasks
from ocpp_ws.message_log import messages_prune
from ocpp_ws.models import OcppMessage
from tests.raw_charger import RawCharger


def error_of(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"]["code"], body["error"]["message"]


@pytest.fixture
def history(charger):
    """CP-1 with a session, a meter value, a command and a logged frame."""
    session = Transaction.objects.create(charger=charger, ocpp_id="77", connector_id=1, id_tag="TAG",
                                         start_time=timezone.now(), meter_start=0)  # fmt: skip
    MeterValue.objects.create(charger=charger, connector_id=1, transaction=session, timestamp=timezone.now(), value="1")
    Command.objects.create(organisation=charger.organisation, charger=charger, action="Reset", source="api",
                           status="answered")  # fmt: skip
    OcppMessage.objects.create(charger=charger, direction="in", message_type=2, action="Heartbeat", frame="[]",
                               at=timezone.now())  # fmt: skip
    return charger


def history_of(charger_id: int) -> tuple[int, int, int, int]:
    return (
        Transaction.objects.filter(charger_id=charger_id).count(),
        MeterValue.objects.filter(charger_id=charger_id).count(),
        Command.objects.filter(charger_id=charger_id).count(),
        OcppMessage.objects.filter(charger_id=charger_id).count(),
    )


def test_deleting_a_charger_keeps_its_row_and_history_and_clears_its_credentials(api, locked_charger):
    Transaction.objects.create(charger=locked_charger, ocpp_id="1", connector_id=1, id_tag="T",
                               start_time=timezone.now(), meter_start=0)  # fmt: skip
    assert api.delete(f"{api.base}/chargers/CP-LOCKED").status_code == 200
    kept = Charger.everything.get(pk=locked_charger.pk)
    assert kept.deleted_at is not None and kept.password_digest == ""
    assert Transaction.objects.filter(charger=kept).count() == 1
    assert not Charger.objects.filter(pk=kept.pk).exists()  # gone from every list and form


def test_a_deleted_charger_cannot_connect_even_without_a_password_now(server, api, charger):
    assert api.delete(f"{api.base}/chargers/CP-1").status_code == 200
    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(RawCharger.connect(server.ws, "CP-1"))
    assert refused.value.response.status_code == 403


def test_deleted_chargers_leave_the_list_unless_include_deleted_is_true(api, acme, history):
    charger_register(organisation=acme, charge_box_id="CP-2")
    assert api.delete(f"{api.base}/chargers/CP-1").status_code == 200
    listed = api.get(f"{api.base}/chargers").json()["chargers"]
    assert [c["chargeBoxId"] for c in listed] == ["CP-2"]
    everything = api.get(f"{api.base}/chargers", params={"include_deleted": "true"}).json()["chargers"]
    assert [(c["chargeBoxId"], c["deletedAt"] is not None) for c in everything] == [("CP-1", True), ("CP-2", False)]
    assert [c["chargeBoxId"] for c in api.get(f"{api.base}/chargers?include_deleted=false").json()["chargers"]] == [
        "CP-2"
    ]
    assert error_of(api.get(f"{api.base}/chargers/CP-1"))[:2] == (404, "not_found")
    detail = api.get(f"{api.base}/chargers/CP-1", params={"include_deleted": "true"})
    assert detail.status_code == 200 and detail.json()["deletedAt"] is not None
    # Its sessions are still there to read.
    sessions = api.get(f"{api.base}/transactions", params={"chargeBoxId": "CP-1"}).json()
    assert [t["transactionId"] for t in sessions["transactions"]] == ["77"]


@pytest.mark.parametrize("path", ["chargers", "chargers/CP-1"])
def test_include_deleted_accepts_only_true_or_false(api, charger, path):
    status, code, message = error_of(api.get(f"{api.base}/{path}", params={"include_deleted": "yes"}))
    assert (status, code) == (400, "validation_error") and message.startswith("include_deleted")


def test_registering_a_deleted_charger_again_restores_it_with_new_credentials(server, api, history):
    before = history_of(history.pk)
    assert api.delete(f"{api.base}/chargers/CP-1").status_code == 200
    response = api.post(f"{api.base}/chargers", json={"chargeBoxId": "CP-1", "name": "Bay 1 again",
                                                      "password": "a-new-charger-password"})  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["id"] == history.pk
    restored = Charger.objects.get(charge_box_id="CP-1")
    assert (restored.pk, restored.name, restored.deleted_at) == (history.pk, "Bay 1 again", None)
    assert restored.password_matches("a-new-charger-password") and not restored.password_matches(None)
    assert history_of(restored.pk) == before

    async def connects() -> int:
        async with await RawCharger.connect(server.ws, "CP-1", password="a-new-charger-password") as cp:
            return (await cp.call("Heartbeat", {}))[0]

    assert asyncio.run(connects()) == 3


def test_another_organisation_cannot_take_a_deleted_chargers_id(server, history, globex):
    charger_delete(charger=history)
    key = ApiKey.generate(organisation=globex, scopes=list(SCOPES))[1]
    taken = requests.post(f"{server.http}/api/v1/chargers", json={"chargeBoxId": "CP-1"}, headers={"X-API-Key": key})
    assert error_of(taken)[:2] == (409, "conflict")
    assert Charger.everything.get(charge_box_id="CP-1").organisation.name == "Acme"


def test_deleting_in_the_admin_keeps_the_history(client, history):
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "boss-password"))
    url = reverse("admin:chargers_charger_delete", args=[history.pk])
    confirmation = client.get(url).content.decode()
    summary = confirmation[confirmation.index("<h2>Summary</h2>") :].split("</ul>")[0]
    assert [line.strip() for line in summary.splitlines() if "<li>" in line] == ["<li>Chargers: 1</li>"]
    before = history_of(history.pk)
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert Charger.everything.get(pk=history.pk).deleted_at is not None
    assert history_of(history.pk) == before


def test_deleting_several_in_the_admin_list_keeps_their_history(client, acme, history):
    other = charger_register(organisation=acme, charge_box_id="CP-2")
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "boss-password"))
    response = client.post(
        reverse("admin:chargers_charger_changelist"),
        {"action": "delete_selected", "_selected_action": [history.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert Charger.everything.filter(deleted_at__isnull=False).count() == 2
    assert history_of(history.pk)[0] == 1


def test_the_delete_command_keeps_the_history(history, capsys):
    before = history_of(history.pk)
    call_command("delete_charger", "CP-1")
    assert "Deleted CP-1; its history is kept" in capsys.readouterr().out
    assert Charger.everything.get(pk=history.pk).deleted_at is not None
    assert history_of(history.pk) == before
    with pytest.raises(CommandError, match="not registered \\(or already deleted\\): CP-1"):
        call_command("delete_charger", "CP-1")


def test_a_purge_needs_a_deleted_charger_and_the_confirmation_flag(history, capsys):
    with pytest.raises(CommandError, match="not deleted"):
        call_command("purge_charger", "CP-1", "--confirm")
    charger_delete(charger=history)
    with pytest.raises(CommandError, match="add --confirm"):
        call_command("purge_charger", "CP-1")
    assert history_of(history.pk) == (1, 1, 1, 1)
    with pytest.raises(CommandError, match="no such charger: CP-9"):
        call_command("purge_charger", "CP-1", "CP-9", "--confirm")
    call_command("purge_charger", "CP-1", "--confirm")
    assert "Purged CP-1" in capsys.readouterr().out
    assert not Charger.everything.filter(charge_box_id="CP-1").exists()
    assert history_of(history.pk) == (0, 0, 0, 0)


# The message log's retention.


def frame_at(charger, age: timedelta) -> OcppMessage:
    return OcppMessage.objects.create(charger=charger, direction="in", message_type=2, action="Heartbeat",
                                      frame="[]", at=timezone.now() - age)  # fmt: skip


def test_the_message_log_keeps_its_own_retention(charger, settings):
    settings.CSMS_MESSAGE_LOG_RETENTION_DAYS = 30
    settings.CSMS_HISTORY_RETENTION_DAYS = 365
    old = [frame_at(charger, timedelta(days=31)) for _ in range(3)]
    recent = frame_at(charger, timedelta(days=29))
    straggler = frame_at(charger, timedelta(days=40))  # written after a recent one (a late batch)
    assert messages_prune() == 3
    assert set(OcppMessage.objects.values_list("pk", flat=True)) == {recent.pk, straggler.pk}
    assert not OcppMessage.objects.filter(pk__in=[frame.pk for frame in old]).exists()
    frame_at(charger, timedelta(days=0))
    assert messages_prune() == 0  # the straggler stays behind the first frame kept until that one goes


def test_a_message_log_retention_of_zero_keeps_everything(charger, settings):
    settings.CSMS_MESSAGE_LOG_RETENTION_DAYS = 0
    frame_at(charger, timedelta(days=4000))
    assert messages_prune() == 0 and OcppMessage.objects.count() == 1


def test_rows_are_deleted_in_batches_each_of_its_own(charger):
    for _ in range(5):
        frame_at(charger, timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        assert batched_delete(OcppMessage.objects.all(), batch_size=2) == 5
    deletes = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("DELETE")]
    assert len(deletes) == 3
    assert OcppMessage.objects.count() == 0


def test_the_pruning_job_reports_rows_removed_in_the_log_and_in_metrics(charger, settings, caplog):
    settings.CSMS_MESSAGE_LOG_RETENTION_DAYS = 1
    for _ in range(2):
        frame_at(charger, timedelta(days=2))
    counted = REGISTRY.get_sample_value("csms_pruned_rows_total", {"table": "ocpp_messages"}) or 0
    with caplog.at_level(logging.INFO, logger="csms.retention"):
        assert tasks.messages_prune() == {"ocpp_messages": 2}
    assert "message log prune removed 2 ocpp_messages" in caplog.text
    assert REGISTRY.get_sample_value("csms_pruned_rows_total", {"table": "ocpp_messages"}) == counted + 2
