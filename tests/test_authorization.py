"""Authorize, and the idTagInfo of StartTransaction, over ocpp-rpc in strict mode."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from chargers.services.registry import charger_register
from charging.models import IdTag, Transaction
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node


@pytest.fixture
def cp(server, charger):
    with strict_charger(server.ws, "CP-1") as rpc:
        yield rpc


@pytest.fixture
def tags(acme, globex):
    """Acme's tags by name, one of each kind; Globex has a tag Acme's chargers must not accept."""
    now = timezone.now()
    parent = IdTag.objects.create(organisation=acme, id_tag="FLEET-ACME")
    made = {
        "accepted": IdTag.objects.create(organisation=acme, id_tag="04A1B2C3", expiry_date=now + timedelta(days=30)),
        "blocked": IdTag.objects.create(organisation=acme, id_tag="BLOCKED-1", status=IdTag.Status.BLOCKED),
        "expired": IdTag.objects.create(organisation=acme, id_tag="OLD-1", expiry_date=now - timedelta(minutes=1)),
        "child": IdTag.objects.create(organisation=acme, id_tag="DRIVER-7", parent=parent),
        "busy": IdTag.objects.create(organisation=acme, id_tag="BUSY-1", max_active_transactions=1),
        "parent": parent,
    }
    IdTag.objects.create(organisation=globex, id_tag="GLOBEX-1")
    return made


def busy_elsewhere(acme, id_tag: str) -> None:
    """An active session for the tag on another of Acme's chargers."""
    other = charger_register(organisation=acme, charge_box_id="CP-OTHER")
    Transaction.objects.create(
        charger=other, ocpp_id="1", connector_id=1, id_tag=id_tag, meter_start=0, start_time=timezone.now()
    )


def authorize(cp, id_tag: str) -> dict:
    return cp.call("Authorize", {"idTag": id_tag})["idTagInfo"]


def test_it_accepts_a_known_tag_and_tells_its_expiry(cp, tags):
    info = authorize(cp, "04A1B2C3")
    assert info["status"] == "Accepted"
    assert datetime.fromisoformat(info["expiryDate"]) == tags["accepted"].expiry_date


def test_it_answers_blocked_for_a_blocked_tag(cp, tags):
    assert authorize(cp, "BLOCKED-1")["status"] == "Blocked"


def test_it_answers_expired_once_the_expiry_date_has_passed(cp, tags):
    assert authorize(cp, "OLD-1")["status"] == "Expired"


def test_it_answers_invalid_for_an_unknown_tag(cp, tags):
    assert authorize(cp, "NEVER-SEEN") == {"status": "Invalid"}


def test_it_answers_invalid_for_another_organisations_tag(cp, tags):
    assert authorize(cp, "GLOBEX-1") == {"status": "Invalid"}


def test_it_answers_concurrent_tx_for_a_tag_at_its_session_limit(cp, tags, acme):
    assert authorize(cp, "BUSY-1")["status"] == "Accepted"
    busy_elsewhere(acme, "BUSY-1")
    assert authorize(cp, "BUSY-1")["status"] == "ConcurrentTx"


def test_it_tells_a_child_tag_its_parent(cp, tags):
    assert authorize(cp, "DRIVER-7") == {"status": "Accepted", "parentIdTag": "FLEET-ACME"}


def test_it_matches_id_tags_whatever_their_case(cp, tags):
    # OCPP 1.6 id tags are CiString20: readers report the same card in either case.
    assert authorize(cp, "04a1b2c3")["status"] == "Accepted"


def test_it_counts_sessions_of_a_tag_whatever_their_case(cp, tags, acme):
    busy_elsewhere(acme, "busy-1")
    assert authorize(cp, "BUSY-1")["status"] == "ConcurrentTx"


@pytest.mark.parametrize(
    "id_tag, expected",
    [
        ("BLOCKED-1", {"status": "Blocked"}),
        ("OLD-1", {"status": "Expired"}),
        ("NEVER-SEEN", {"status": "Invalid"}),
        ("GLOBEX-1", {"status": "Invalid"}),
        ("DRIVER-7", {"status": "Accepted", "parentIdTag": "FLEET-ACME"}),
    ],
)
def test_it_answers_a_start_transaction_by_the_same_rules_as_authorize(cp, tags, id_tag, expected):
    answer = cp.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": id_tag, "meterStart": 0, "timestamp": timezone.now().isoformat()},
    )
    info = answer["idTagInfo"]
    info.pop("expiryDate", None)
    assert info == expected
    assert Transaction.objects.get(ocpp_id=str(answer["transactionId"])).id_tag_status == expected["status"]


def test_it_answers_concurrent_tx_to_a_start_with_a_tag_busy_elsewhere(cp, tags, acme):
    busy_elsewhere(acme, "BUSY-1")
    answer = cp.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "BUSY-1", "meterStart": 0, "timestamp": timezone.now().isoformat()},
    )
    assert answer["idTagInfo"]["status"] == "ConcurrentTx"
    # The charger has started charging all the same: the session is recorded.
    assert Transaction.objects.filter(charger__charge_box_id="CP-1", id_tag="BUSY-1").count() == 1
