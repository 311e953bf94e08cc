"""Reservations as the CSMS keeps them, through the API and a strict ocpp-rpc charger."""

from datetime import UTC, datetime, timedelta

import pytest

from charging.models import Reservation
from charging.tasks import reservations_expire
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node


def iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


LATER = iso(datetime.now(UTC) + timedelta(hours=2))


@pytest.fixture
def cp(server, charger):
    with strict_charger(server.ws, "CP-1") as rpc:
        yield rpc


def reserve(api, **body) -> dict:
    response = api.post(f"{api.base}/chargers/CP-1/reservations", json={"connectorId": 1, "expiryDate": LATER,
                                                                       "idTag": "DRIVER-1", **body})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def listed(api, path: str = "chargers/CP-1/reservations", **query) -> list[dict]:
    response = api.get(f"{api.base}/{path}", params=query)
    assert response.status_code == 200, response.text
    return response.json()["reservations"]


def test_an_accepted_reservation_is_active(api, cp):
    reply = reserve(api, parentIdTag="FLEET")
    [row] = listed(api)
    fields = ("reservationId", "chargeBoxId", "connectorId", "idTag", "expiryDate", "status")
    assert {key: row[key] for key in fields} == {
        "reservationId": reply["reservationId"], "chargeBoxId": "CP-1", "connectorId": 1, "idTag": "DRIVER-1",
        "expiryDate": LATER, "status": "Active"}  # fmt: skip
    assert row["parentIdTag"] == "FLEET"


def test_a_refused_reservation_is_not_kept(api, cp):
    cp.respond("ReserveNow", {"status": "Occupied"})
    assert reserve(api)["status"] == "Occupied"
    assert listed(api) == []


def test_the_session_that_names_it_consumes_it(api, cp):
    reservation_id = reserve(api, reservationId=42)["reservationId"]
    started = cp.call("StartTransaction", {"connectorId": 1, "idTag": "DRIVER-1", "meterStart": 0,
                                           "timestamp": iso(datetime.now(UTC)), "reservationId": 42})  # fmt: skip
    [row] = listed(api, "reservations", status="Consumed")
    assert (row["reservationId"], row["transactionId"]) == (reservation_id, str(started["transactionId"]))


def test_a_cancelled_reservation_is_cancelled_and_a_refused_cancel_changes_nothing(api, cp):
    reserve(api, reservationId=7)
    reserve(api, reservationId=8)
    api.post(f"{api.base}/chargers/CP-1/reservations/7/cancel", json={})
    cp.respond("CancelReservation", {"status": "Rejected"})
    api.post(f"{api.base}/chargers/CP-1/reservations/8/cancel", json={})
    assert {row["reservationId"]: row["status"] for row in listed(api)} == {7: "Cancelled", 8: "Active"}


def test_reservations_expire_at_their_expiry_date(api, cp):
    reserve(api, reservationId=1, expiryDate=iso(datetime.now(UTC) - timedelta(seconds=1)))
    reserve(api, reservationId=2)
    # The server's own sweep may expire it first; either way it ends Expired, and only it.
    assert reservations_expire.apply().get() in (0, 1)
    assert {row["reservationId"]: row["status"] for row in listed(api)} == {1: "Expired", 2: "Active"}


def test_a_reservation_id_given_again_replaces_the_reservation_on_that_charger(api, cp):
    reserve(api, reservationId=5, idTag="FIRST")
    reserve(api, reservationId=5, idTag="SECOND")
    assert [(row["reservationId"], row["idTag"]) for row in listed(api)] == [(5, "SECOND")]
    assert Reservation.objects.count() == 1


def test_the_list_filters_and_pages(api, cp, acme, server):
    from chargers.services.registry import charger_register

    charger_register(organisation=acme, charge_box_id="CP-2")
    with strict_charger(server.ws, "CP-2") as other:
        api.post(f"{api.base}/chargers/CP-2/reservations",
                 json={"connectorId": 1, "expiryDate": LATER, "idTag": "X", "reservationId": 9})  # fmt: skip
        other.next_call()
    for number in (1, 2, 3):
        reserve(api, reservationId=number)
    assert [row["chargeBoxId"] for row in listed(api, "reservations", chargeBoxId="CP-2")] == ["CP-2"]
    page = api.get(f"{api.base}/reservations", params={"limit": 2, "offset": 1}).json()
    assert page["pagination"] == {"total": 4, "limit": 2, "offset": 1} and len(page["reservations"]) == 2
    bad = api.get(f"{api.base}/reservations", params={"status": "Gone"})
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("status")


def test_another_organisations_reservations_are_not_shown(api, globex, server):
    from chargers.services.registry import charger_register
    from charging.services.reservations import reservation_record

    theirs = charger_register(organisation=globex, charge_box_id="CP-G")
    reservation_record(charger=theirs, reservation_id=1, connector_id=1, id_tag="G", expiry_date=datetime.now(UTC))
    assert listed(api, "reservations") == []
    assert api.get(f"{api.base}/chargers/CP-G/reservations").status_code == 404
