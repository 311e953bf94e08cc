"""The OCPP message log: every frame of a real session recorded in batches, CSMS_MESSAGE_LOG, the read-only admin."""

import asyncio
import time

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from chargers.models import Charger
from ocpp_ws.message_log import MessageLog
from ocpp_ws.models import OcppMessage
from ocpp_ws.session import Session
from tests.conftest import start_server
from tests.ocpp_rpc import strict_charger

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "AC-22"}


def logged(count: int, timeout: float = 5.0) -> list[OcppMessage]:
    """The log, oldest first, once it holds `count` frames (it is written every half second)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = list(OcppMessage.objects.order_by("at", "id"))
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


@pytest.fixture
def logging_server(tmp_path, transactional_db):
    """A server of this test's own: the suite's shared server keeps no message log (see conftest)."""
    live = start_server(tmp_path, CSMS_MESSAGE_LOG="all")
    yield live
    live.stop()


@pytest.mark.node
def test_it_records_every_frame_in_and_out_with_the_action_of_answers(logging_server, api, charger):
    with strict_charger(logging_server.ws, "CP-1") as cp:
        cp.call("BootNotification", BOOT)
        cp.respond("Reset", {"status": "Accepted"})
        reset = api.post(f"{logging_server.http}/api/v1/chargers/CP-1/reset", json={"type": "Soft"})
        assert reset.status_code == 200
    rows = logged(4)
    seen = [(r.direction, r.message_type, r.action) for r in rows]
    assert seen == [("in", 2, "BootNotification"), ("out", 3, "BootNotification"), ("out", 2, "Reset"),
                    ("in", 3, "Reset")]  # fmt: skip
    assert all(r.charger_id == charger.pk for r in rows)
    assert rows[0].unique_id == rows[1].unique_id
    assert '"chargePointVendor":"Acme"' in rows[0].frame.replace(" ", "")
    assert rows[2].unique_id == str(charger.commands.get().pk)


@pytest.mark.node
def test_it_records_callerrors_with_their_code(logging_server, charger):
    with strict_charger(logging_server.ws, "CP-1") as cp:
        cp.raw('[2,"bad-1","NoSuchAction",{}]')
        cp.raw_answer("bad-1")
    rows = logged(2)
    assert [(r.direction, r.message_type, r.action, r.error_code) for r in rows] == [
        ("in", 2, "NoSuchAction", ""),
        ("out", 4, "NoSuchAction", "NotImplemented"),
    ]


@pytest.mark.node
@pytest.mark.parametrize("mode, kept", [("errors", [("out", 4)]), ("off", [])])
def test_csms_message_log_keeps_only_errors_or_nothing(tmp_path, transactional_db, charger, mode, kept):
    server = start_server(tmp_path, CSMS_MESSAGE_LOG=mode)
    try:
        with strict_charger(server.ws, "CP-1") as cp:
            cp.call("Heartbeat", {})
            cp.raw('[2,"bad-1","NoSuchAction",{}]')
            cp.raw_answer("bad-1")
            cp.raw('[2,"bad-2","BootNotification",{"chargePointVendor":"%s","chargePointModel":"M"}]' % ("x" * 30))
            cp.raw_answer("bad-2")
        time.sleep(1.2)
    finally:
        server.stop()
    rows = OcppMessage.objects.order_by("at", "id")
    assert [(r.direction, r.message_type) for r in rows] == kept * 2


@override_settings(CSMS_MESSAGE_LOG="all")
def test_recording_a_frame_costs_no_database_round_trip(transactional_db, charger, django_assert_num_queries):
    written, batches = [], []

    async def hand_over(batch):  # what would go to the database workers
        written.append(len(batch))
        batches.append(batch)

    message_log = MessageLog()
    message_log.frames.hand_over = hand_over
    session = Session(charger_id=charger.pk, organisation_id=charger.organisation_id, charge_box_id="CP-1",
                      protocol="ocpp1.6")  # fmt: skip

    async def frames(first: int, count: int):
        for n in range(first, first + count):
            message_log.record(session, "in", f'[2,"{n}","Heartbeat",{{}}]')
        await asyncio.sleep(0)

    loop = asyncio.new_event_loop()
    try:
        with django_assert_num_queries(0):
            loop.run_until_complete(frames(0, 499))
        loop.run_until_complete(frames(499, 701))
        assert written == [500, 500]  # a full buffer is written at once
        loop.run_until_complete(asyncio.sleep(0.7))
        assert written == [500, 500, 200]  # the rest after the flush interval
    finally:
        loop.close()
    assert [message_log.write(batch=batch) for batch in batches] == [500, 500, 200]
    assert OcppMessage.objects.filter(charger=charger, action="Heartbeat").count() == 1200


def test_the_admin_log_is_read_only_filtered_and_searched(client, charger):
    boss = User.objects.create_superuser("boss", "boss@example.com", "boss-password")
    client.force_login(boss)
    other = Charger.objects.create(organisation=charger.organisation, charge_box_id="CP-2")
    OcppMessage.objects.create(
        charger=charger,
        direction="in",
        message_type=2,
        action="Heartbeat",
        unique_id="hb-77",
        frame='[2,"hb-77","Heartbeat",{}]',
        at="2026-01-01T00:00:00Z",
    )
    OcppMessage.objects.create(charger=other, direction="out", message_type=2, action="Reset",
                               unique_id="rs-1", frame='[2,"rs-1","Reset",{"type":"Soft"}]',
                               at="2026-01-01T00:00:01Z")  # fmt: skip
    url = "/admin/ocpp_ws/ocppmessage/"
    assert "hb-77" in client.get(url + "?q=hb-77").content.decode()
    assert "rs-1" not in client.get(url + "?q=hb-77").content.decode()
    assert "rs-1" not in client.get(url + "?direction__exact=in").content.decode()
    assert "hb-77" not in client.get(url + "?action=Reset").content.decode()
    assert "hb-77" not in client.get(url + f"?charger__id__exact={other.pk}").content.decode()
    assert client.get(url + "add/").status_code == 403
    row = OcppMessage.objects.get(unique_id="rs-1")
    page = client.get(f"{url}{row.pk}/change/").content.decode()
    assert "&quot;type&quot;: &quot;Soft&quot;" in page and 'name="_save"' not in page
