"""Id tags over the REST API, and the organisation's policy for unknown tags, as chargers meet it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Organisation
from charging.models import IdTag
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node


@pytest.fixture
def fleet(acme, globex):
    parent = IdTag.objects.create(organisation=acme, id_tag="FLEET-ACME")
    IdTag.objects.create(organisation=acme, id_tag="DRIVER-1", parent=parent)
    IdTag.objects.create(organisation=acme, id_tag="DRIVER-2", status="Blocked", parent=parent)
    IdTag.objects.create(organisation=acme, id_tag="OLD-CARD", expiry_date=timezone.now() - timedelta(days=1))
    IdTag.objects.create(organisation=globex, id_tag="GLOBEX-1")
    return parent


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [t["idTag"] for t in response.json()["idTags"]]


def test_it_creates_a_tag_with_defaults(api, acme):
    response = api.post(f"{api.base}/id-tags", json={"idTag": "RFID-0042"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["idTag"] == "RFID-0042" and body["status"] == "Accepted"
    assert body["maxActiveTransactions"] == 1 and body["parentIdTag"] is None and body["expiryDate"] is None
    assert body["autoCreated"] is False
    assert response.headers["Location"].endswith("/api/v1/id-tags/RFID-0042")
    assert IdTag.objects.get(organisation=acme, id_tag="RFID-0042").max_active_transactions == 1


def test_it_creates_a_tag_with_every_field(api, fleet):
    body = {
        "idTag": "VAN-12",
        "status": "Blocked",
        "expiryDate": "2027-01-01T00:00:00Z",
        "parentIdTag": "fleet-acme",
        "maxActiveTransactions": 3,
        "note": "Van 12",
    }
    created = api.post(f"{api.base}/id-tags", json=body).json()
    assert created["parentIdTag"] == "FLEET-ACME"
    assert api.get(f"{api.base}/id-tags/VAN-12").json() == created
    assert (created["status"], created["expiryDate"], created["maxActiveTransactions"], created["note"]) == (
        "Blocked",
        "2027-01-01T00:00:00Z",
        3,
        "Van 12",
    )


def test_it_refuses_a_duplicate_in_any_case_with_409(api, fleet):
    response = api.post(f"{api.base}/id-tags", json={"idTag": "driver-1"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_the_database_refuses_a_duplicate_in_another_case(acme):
    from django.db import IntegrityError, transaction

    IdTag.objects.create(organisation=acme, id_tag="abc")
    with pytest.raises(IntegrityError), transaction.atomic():
        IdTag.objects.create(organisation=acme, id_tag="ABC")


def test_another_organisation_may_have_the_same_tag(api, fleet):
    assert api.post(f"{api.base}/id-tags", json={"idTag": "GLOBEX-1"}).status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"idTag": "X" * 21}, "idTag"),
        ({"idTag": ""}, "idTag"),
        ({"idTag": " PADDED"}, "idTag"),
        ({"idTag": "TAG-É"}, "idTag"),
        ({}, "idTag"),
        ({"idTag": "T-1", "status": "Maybe"}, "status"),
        ({"idTag": "T-1", "parentIdTag": "NOBODY"}, "parentIdTag"),
        ({"idTag": "T-1", "parentIdTag": "GLOBEX-1"}, "parentIdTag"),
        ({"idTag": "T-1", "maxActiveTransactions": -1}, "maxActiveTransactions"),
        ({"idTag": "T-1", "expiryDate": "soon"}, "expiryDate"),
        ({"idTag": "T-1", "colour": "red"}, "colour"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(api, fleet, body, field):
    response = api.post(f"{api.base}/id-tags", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(field), response.json()


def test_a_tag_of_twenty_characters_is_fine(api, acme):
    assert api.post(f"{api.base}/id-tags", json={"idTag": "X" * 20}).status_code == 201


def test_it_lists_the_organisations_tags_paginated(api, fleet):
    assert ids(api.get(f"{api.base}/id-tags")) == ["DRIVER-1", "DRIVER-2", "FLEET-ACME", "OLD-CARD"]
    page = api.get(f"{api.base}/id-tags", params={"limit": 2, "offset": 2}).json()
    assert [t["idTag"] for t in page["idTags"]] == ["FLEET-ACME", "OLD-CARD"]
    assert page["pagination"] == {"total": 4, "limit": 2, "offset": 2}


def test_it_filters_the_list(api, fleet):
    get = lambda **params: ids(api.get(f"{api.base}/id-tags", params=params))  # noqa: E731
    assert get(status="Blocked") == ["DRIVER-2"]
    assert get(idTag="driver") == ["DRIVER-1", "DRIVER-2"]
    assert get(parentIdTag="fleet-acme") == ["DRIVER-1", "DRIVER-2"]
    assert get(expired="true") == ["OLD-CARD"]
    assert get(expired="false") == ["DRIVER-1", "DRIVER-2", "FLEET-ACME"]
    assert api.get(f"{api.base}/id-tags", params={"expired": "perhaps"}).status_code == 400
    bad = api.get(f"{api.base}/id-tags", params={"status": "Maybe"})
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("status")


def test_it_reads_a_tag_in_any_case(api, fleet):
    body = api.get(f"{api.base}/id-tags/driver-1").json()
    assert body["idTag"] == "DRIVER-1" and body["parentIdTag"] == "FLEET-ACME"


def test_another_organisations_tag_is_not_found(api, fleet):
    for method in ("get", "patch", "delete"):
        response = getattr(api, method)(f"{api.base}/id-tags/GLOBEX-1", json={})
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "not_found"


def test_it_updates_only_the_fields_sent(api, fleet):
    response = api.patch(f"{api.base}/id-tags/DRIVER-1", json={"status": "Blocked", "note": "lost"})
    assert response.status_code == 200, response.text
    tag = IdTag.objects.get(id_tag="DRIVER-1")
    assert (tag.status, tag.note, tag.parent.id_tag, tag.max_active_transactions) == (
        "Blocked",
        "lost",
        "FLEET-ACME",
        1,
    )

    api.patch(f"{api.base}/id-tags/DRIVER-1", json={"parentIdTag": None, "expiryDate": "2030-01-01T00:00:00Z"})
    tag.refresh_from_db()
    assert tag.parent is None and tag.expiry_date == datetime(2030, 1, 1, tzinfo=UTC)


def test_it_refuses_a_parent_cycle(api, fleet):
    response = api.patch(f"{api.base}/id-tags/FLEET-ACME", json={"parentIdTag": "DRIVER-1"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("parentIdTag")


def test_it_deletes_a_tag_and_its_children_stay(api, fleet):
    response = api.delete(f"{api.base}/id-tags/fleet-acme")
    assert response.status_code == 200
    assert response.json() == {"message": "Id tag FLEET-ACME deleted.", "idTag": "FLEET-ACME"}
    assert IdTag.objects.get(id_tag="DRIVER-1").parent is None
    assert api.get(f"{api.base}/id-tags/FLEET-ACME").status_code == 404


def test_the_policy_rejects_unknown_tags_by_default(api, acme):
    assert api.get(f"{api.base}/authorization-policy").json() == {"unknownIdTags": "reject"}


def test_the_policy_can_be_changed(api, acme):
    response = api.patch(f"{api.base}/authorization-policy", json={"unknownIdTags": "accept"})
    assert response.json() == {"unknownIdTags": "accept"}
    acme.refresh_from_db()
    assert acme.unknown_id_tag_policy == "accept"
    bad = api.patch(f"{api.base}/authorization-policy", json={"unknownIdTags": "maybe"})
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("unknownIdTags")


@pytest.fixture
def cp(server, charger):
    with strict_charger(server.ws, "CP-1") as rpc:
        yield rpc


def test_an_unknown_tag_is_invalid_under_the_reject_policy(cp, acme):
    assert cp.call("Authorize", {"idTag": "STRANGER"}) == {"idTagInfo": {"status": "Invalid"}}
    start = cp.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "STRANGER", "meterStart": 0, "timestamp": "2026-03-01T08:00:00Z"},
    )
    assert start["idTagInfo"] == {"status": "Invalid"}
    assert not IdTag.objects.filter(id_tag="STRANGER").exists()


def test_an_unknown_tag_is_accepted_and_recorded_under_the_accept_policy(api, cp, acme):
    Organisation.objects.filter(pk=acme.pk).update(unknown_id_tag_policy="accept")

    assert cp.call("Authorize", {"idTag": "STRANGER"}) == {"idTagInfo": {"status": "Accepted"}}
    recorded = api.get(f"{api.base}/id-tags", params={"autoCreated": "true"}).json()["idTags"]
    assert [(t["idTag"], t["status"], t["autoCreated"]) for t in recorded] == [("STRANGER", "Accepted", True)]

    # Free vend: one shared tag may start sessions on several connectors at once.
    for connector in (1, 2):
        start = cp.call(
            "StartTransaction",
            {
                "connectorId": connector,
                "idTag": "stranger",
                "meterStart": 0,
                "timestamp": f"2026-03-01T08:0{connector}:00Z",
            },
        )
        assert start["idTagInfo"] == {"status": "Accepted"}
    assert IdTag.objects.filter(organisation=acme, id_tag__iexact="stranger").count() == 1


def test_a_tag_first_seen_in_start_transaction_is_recorded_under_the_accept_policy(cp, acme):
    Organisation.objects.filter(pk=acme.pk).update(unknown_id_tag_policy="accept")
    start = cp.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "NEW-CARD", "meterStart": 0, "timestamp": "2026-03-01T08:00:00Z"},
    )
    assert start["idTagInfo"] == {"status": "Accepted"}
    assert IdTag.objects.get(organisation=acme, id_tag="NEW-CARD").auto_created


def test_a_blocked_tag_stays_blocked_under_the_accept_policy(cp, acme, fleet):
    Organisation.objects.filter(pk=acme.pk).update(unknown_id_tag_policy="accept")
    assert cp.call("Authorize", {"idTag": "DRIVER-2"})["idTagInfo"]["status"] == "Blocked"


def test_an_operator_edit_makes_an_auto_created_tag_ordinary(api, cp, acme):
    Organisation.objects.filter(pk=acme.pk).update(unknown_id_tag_policy="accept")
    cp.call("Authorize", {"idTag": "STRANGER"})
    body = api.patch(f"{api.base}/id-tags/STRANGER", json={"status": "Blocked"}).json()
    assert body["autoCreated"] is False and body["status"] == "Blocked"
    assert cp.call("Authorize", {"idTag": "STRANGER"}) == {"idTagInfo": {"status": "Blocked"}}


def test_the_cli_updates_a_tag_given_in_another_case(acme):
    from django.core.management import call_command

    IdTag.objects.create(organisation=acme, id_tag="CARD-1")
    call_command("add_id_tag", "card-1", org="Acme", status="Blocked")
    assert list(IdTag.objects.values_list("id_tag", "status")) == [("CARD-1", "Blocked")]


def test_a_tag_with_a_slash_is_addressable(api, acme):
    assert api.post(f"{api.base}/id-tags", json={"idTag": "DEPOT/7"}).status_code == 201
    assert api.get(f"{api.base}/id-tags/DEPOT%2F7").json()["idTag"] == "DEPOT/7"
    assert api.delete(f"{api.base}/id-tags/depot%2f7").status_code == 200
