"""The frames' statements (csms/statements.py) store and find what the ORM would, on SQLite and PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from charging.models import IdTag, Transaction, UnmatchedStop
from commands.models import Command
from csms import statements

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 21, 5, 30, 15, 250000, tzinfo=UTC)


@pytest.mark.parametrize("count", [1, statements.PREPARED_MAX_ROWS + 15, statements.INSERT_MAX_ROWS + 5])
def test_insert_stores_rows_as_the_orm_reads_them(charger, count):
    """One row, a COPY-sized batch and more rows than one INSERT takes: JSON, dates, nulls and defaults."""
    rows = [
        {
            "charger_id": charger.pk,
            "transaction_id": f"T-{n}",
            "meter_stop": n * 1000,
            "timestamp": AT + timedelta(seconds=n),
            "payload": {"n": n, "text": "tab\there, quote ' and backslash \\ and é"},
        }
        for n in range(count)
    ]
    statements.insert(UnmatchedStop, rows)
    stored = list(UnmatchedStop.objects.filter(charger=charger).order_by("meter_stop"))
    assert [(s.transaction_id, s.meter_stop, s.timestamp, s.payload) for s in stored] == [
        (r["transaction_id"], r["meter_stop"], r["timestamp"], r["payload"]) for r in rows
    ]
    assert all(s.reason == "" and s.id_tag == "" and s.received_at is not None for s in stored)


def test_instance_matches_ignoring_case_and_loads_like_the_orm(acme):
    expiry = AT + timedelta(days=30)
    tag = IdTag.objects.create(organisation=acme, id_tag="AbC-1", expiry_date=expiry)
    found = statements.instance(IdTag, where={"organisation_id": acme.pk}, ignore_case={"id_tag": "aBc-1"})
    assert found == tag and found.expiry_date == expiry and found.id_tag == "AbC-1" and found.organisation == acme
    assert statements.instance(IdTag, where={"organisation_id": acme.pk}, ignore_case={"id_tag": "abc-2"}) is None


def test_instance_loads_only_the_fields_asked_for_in_any_order(charger):
    session = Transaction.objects.create(charger=charger, ocpp_id="7", connector_id=1, id_tag="t", meter_start=0,
                                         start_time=AT)  # fmt: skip
    found = statements.instance(Transaction, where={"id": session.pk}, only=("suspect", "last_message_at", "id"))
    assert (found.pk, found.last_message_at, found.suspect) == (session.pk, session.last_message_at, False)
    assert found.get_deferred_fields() == {f.attname for f in Transaction._meta.concrete_fields} - {
        "id", "last_message_at", "suspect"
    }  # fmt: skip


def test_add_stores_a_new_instance_as_save_would_and_gives_it_its_id(charger):
    added = statements.add(
        Transaction(charger_id=charger.pk, ocpp_id="42", connector_id=2, id_tag="t", meter_start=5, start_time=AT)
    )
    stored = Transaction.objects.get(pk=added.pk)
    assert (stored.ocpp_id, stored.connector_id, stored.meter_start, stored.start_time) == ("42", 2, 5, AT)
    assert stored.created_at is not None and stored.created_at == added.created_at  # auto_now_add
    assert stored.missing_seq_nos == [] and stored.suspect is False  # the fields' defaults
    assert added._state.adding is False and added._state.db == "default"  # the ORM takes it as stored
    added.meter_stop = 9
    added.save()
    assert Transaction.objects.get(pk=added.pk).meter_stop == 9 and Transaction.objects.count() == 1


def test_count_with_null_and_a_condition_on_the_row_a_key_points_to(acme, globex, charger):
    from chargers.services.registry import charger_register

    other = charger_register(organisation=globex, charge_box_id="GX-1")

    def session(on, tag, stopped):
        ocpp_id = f"{on.pk}-{Transaction.objects.count()}"
        stop_time = AT if stopped else None
        Transaction.objects.create(
            charger=on, ocpp_id=ocpp_id, connector_id=1, id_tag=tag, meter_start=0, start_time=AT, stop_time=stop_time
        )

    session(charger, "tag-1", stopped=False)
    session(charger, "TAG-1", stopped=False)
    session(charger, "tag-1", stopped=True)
    session(other, "tag-1", stopped=False)
    open_in_acme = statements.count(
        Transaction, where={"stop_time": None}, ignore_case={"id_tag": "Tag-1"},
        within=("charger_id", type(charger), {"organisation_id": acme.pk}),
    )  # fmt: skip
    assert open_in_acme == 2


def test_existing_finds_which_ids_are_in_the_table(acme):
    tags = [IdTag.objects.create(organisation=acme, id_tag=f"T{n}") for n in range(statements.INSERT_MAX_ROWS + 3)]
    asked = {t.pk for t in tags} | {10**9, 10**9 + 1}
    assert statements.existing(IdTag, asked) == {t.pk for t in tags}
    assert statements.existing(IdTag, set()) == set()


def test_a_row_with_a_uuid_id_goes_in_with_its_id_and_an_update_matches_one_of_several_values(acme, charger):
    command_id = uuid.uuid4()
    statements.insert(
        Command,
        [{"id": command_id, "organisation_id": acme.pk, "charger_id": charger.pk, "action": "Reset", "source": "api",
          "request": {"type": "Soft"}, "created_at": AT}],
    )  # fmt: skip
    assert Command.objects.get(pk=command_id).request == {"type": "Soft"}

    open_ = (Command.Status.PENDING, Command.Status.SENT)
    answered = {"status": Command.Status.ANSWERED, "response": {"status": "Accepted"}}
    assert statements.update(Command, answered, where={"id": str(command_id), "status": open_}) == 1
    # Answered is no longer one of the open statuses: a second answer changes nothing.
    timed_out = {"status": Command.Status.TIMEOUT}
    assert statements.update(Command, timed_out, where={"id": command_id, "status": open_}) == 0
    stored = Command.objects.get(pk=command_id)
    assert (stored.status, stored.response) == ("answered", {"status": "Accepted"})
