"""Id tags, the unknown-tag policy and manual closes in the admin, over real HTTP against the live server."""

import csv
import io
from datetime import UTC, datetime

import pytest
import requests
from django.contrib.auth.models import Permission, User

from accounts.models import Operator, Organisation
from chargers.services.registry import charger_register
from charging.models import IdTag, Transaction

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class AdminBrowser:
    """A logged-in staff user's browser: a requests session that carries the CSRF token."""

    def __init__(self, server, username: str, password: str):
        self.base = server.http
        self.session = requests.Session()
        self.session.get(f"{self.base}/admin/login/")
        response = self.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"})
        assert response.url.endswith("/admin/"), "login failed"

    def get(self, path: str, **params) -> requests.Response:
        return self.session.get(self.base + path, params=params)

    def post(self, path: str, data, files=None) -> requests.Response:
        data = {**data, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]}
        return self.session.post(self.base + path, data=data, files=files)


@pytest.fixture
def boss(server, transactional_db):
    User.objects.create_superuser("boss", "boss@example.com", "boss-password")
    return AdminBrowser(server, "boss", "boss-password")


@pytest.fixture
def alice(server, acme):
    """Acme's operator: staff with the usual permissions, tied to Acme."""
    user = User.objects.create_user("alice", "alice@example.com", "alice-password", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["accounts", "chargers", "charging"])
    )
    Operator.objects.create(user=user, organisation=acme)
    return AdminBrowser(server, "alice", "alice-password")


def upload(browser, organisation, text: str) -> requests.Response:
    return browser.post(
        "/admin/charging/idtag/import/",
        {"organisation": organisation.pk},
        files={"file": ("tags.csv", text.encode(), "text/csv")},
    )


GOOD_CSV = """idTag,status,expiryDate,parentIdTag,maxActiveTransactions,note
CARD-1,Accepted,2027-01-01T00:00:00Z,FLEET,2,Van 1
FLEET,,,,,
CARD-2,Blocked,2027-06-30,,,lost
"""


def test_the_import_creates_tags_with_parents_named_later_in_the_file(alice, acme):
    response = upload(alice, acme, GOOD_CSV)

    assert response.status_code == 200
    assert "Created 3, updated 0, 0 row(s) with errors." in response.text
    card = IdTag.objects.get(organisation=acme, id_tag="CARD-1")
    assert (card.status, card.expiry_date, card.parent.id_tag, card.max_active_transactions, card.note) == (
        "Accepted",
        datetime(2027, 1, 1, tzinfo=UTC),
        "FLEET",
        2,
        "Van 1",
    )
    blocked = IdTag.objects.get(organisation=acme, id_tag="CARD-2")
    assert (blocked.status, blocked.expiry_date, blocked.max_active_transactions) == (
        "Blocked",
        datetime(2027, 6, 30, tzinfo=UTC),
        1,
    )


def test_the_import_updates_existing_tags_in_any_case(alice, acme):
    IdTag.objects.create(organisation=acme, id_tag="card-1", status="Blocked", note="old")
    response = upload(alice, acme, "idTag,status,note\nCARD-1,Accepted,new\n")

    assert "Created 0, updated 1, 0 row(s) with errors." in response.text
    tag = IdTag.objects.get(organisation=acme)
    assert (tag.id_tag, tag.status, tag.note) == ("card-1", "Accepted", "new")


def test_the_import_reports_each_bad_row_and_keeps_the_good_ones(alice, acme):
    text = (
        "idTag,status,expiryDate,parentIdTag,maxActiveTransactions,note\n"
        "GOOD-1,Accepted,,,,\n"
        "WAY-TOO-LONG-ID-TAG-123,Accepted,,,,\n"
        "BAD-STATUS,Maybe,,,,\n"
        "BAD-DATE,Accepted,someday,,,\n"
        "ORPHAN,Accepted,,NOBODY,,\n"
        "BAD-LIMIT,Accepted,,,-2,\n"
        "GOOD-2,Accepted,,,,\n"
    )
    response = upload(alice, acme, text)

    assert "Created 2, updated 0, 5 row(s) with errors." in response.text
    assert sorted(IdTag.objects.values_list("id_tag", flat=True)) == ["GOOD-1", "GOOD-2"]
    errors = response.text[response.text.index('id="import-errors"') :]
    for line, field in [
        (3, "idTag"),
        (4, "status"),
        (5, "expiryDate"),
        (6, "parentIdTag"),
        (7, "maxActiveTransactions"),
    ]:
        assert f"<td>{line}</td>" in errors and f"{field}:" in errors


def test_the_import_refuses_a_file_without_the_header(alice, acme):
    response = upload(alice, acme, "CARD-1,Accepted\n")
    assert "The header must name the columns" in response.text
    assert not IdTag.objects.exists()


def test_an_operator_cannot_import_into_another_organisation(alice, acme, globex):
    response = upload(alice, globex, GOOD_CSV)
    assert "Select a valid choice" in response.text
    assert not IdTag.objects.exists()


def test_the_export_action_writes_the_selected_tags_as_csv(alice, acme, globex):
    fleet = IdTag.objects.create(organisation=acme, id_tag="FLEET")
    card = IdTag.objects.create(
        organisation=acme, id_tag="CARD-1", parent=fleet, expiry_date=datetime(2027, 1, 1, tzinfo=UTC), note="a, b"
    )
    theirs = IdTag.objects.create(organisation=globex, id_tag="THEIRS")

    response = alice.post(
        "/admin/charging/idtag/", {"action": "export_csv", "_selected_action": [fleet.pk, card.pk, theirs.pk]}
    )

    assert response.headers["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["idTag", "status", "expiryDate", "parentIdTag", "maxActiveTransactions", "note"],
        ["CARD-1", "Accepted", "2027-01-01T00:00:00Z", "FLEET", "1", "a, b"],
        ["FLEET", "Accepted", "", "", "1", ""],
    ]


def test_an_exported_file_imports_back_unchanged(alice, acme, globex):
    fleet = IdTag.objects.create(organisation=acme, id_tag="FLEET", max_active_transactions=5)
    IdTag.objects.create(organisation=acme, id_tag="CARD-1", parent=fleet, status="Expired", note="x")
    exported = alice.post("/admin/charging/idtag/", {"action": "export_csv", "_selected_action": [fleet.pk]}).text
    exported += "CARD-1,Expired,,FLEET,1,x\r\n"

    IdTag.objects.all().delete()
    upload(alice, acme, exported)
    rows = set(IdTag.objects.values_list("id_tag", "status", "parent__id_tag", "max_active_transactions", "note"))
    assert rows == {("FLEET", "Accepted", None, 5, ""), ("CARD-1", "Expired", "FLEET", 1, "x")}


def test_the_id_tag_list_shows_auto_created_tags_and_links_the_import(alice, acme):
    IdTag.objects.create(organisation=acme, id_tag="STRANGER", auto_created=True)
    page = alice.get("/admin/charging/idtag/", auto_created__exact="1").text
    assert "STRANGER" in page
    assert "/admin/charging/idtag/import/" in page


def test_the_unknown_tag_policy_is_edited_on_the_organisation(boss, acme):
    page = boss.get(f"/admin/accounts/organisation/{acme.pk}/change/").text
    assert 'name="unknown_id_tag_policy"' in page
    boss.post(f"/admin/accounts/organisation/{acme.pk}/change/", {"name": "Acme", "unknown_id_tag_policy": "accept"})
    assert Organisation.objects.get(pk=acme.pk).unknown_id_tag_policy == "accept"


@pytest.fixture
def sessions(acme, globex):
    cp = charger_register(organisation=acme, charge_box_id="ACME-1")
    other = charger_register(organisation=globex, charge_box_id="GLOBEX-1")
    make = lambda charger, ocpp_id, **extra: Transaction.objects.create(  # noqa: E731
        charger=charger, ocpp_id=ocpp_id, connector_id=1, id_tag="T", meter_start=100, start_time=T0, **extra
    )
    return make(cp, "1"), make(cp, "2", stop_time=T0, meter_stop=200, energy_wh=100), make(other, "3")


def test_an_operator_closes_sessions_by_hand_with_a_reason(alice, sessions):
    open_one, stopped, _ = sessions
    ids = [open_one.pk, stopped.pk]
    form = alice.post("/admin/charging/transaction/", {"action": "close", "_selected_action": ids})
    assert "Close sessions by hand" in form.text and 'name="reason"' in form.text
    assert Transaction.objects.get(pk=open_one.pk).is_active  # nothing happens before the reason is given

    done = alice.post(
        "/admin/charging/transaction/",
        {
            "action": "close",
            "_selected_action": ids,
            "reason": "Lost after power cut",
            "meter_stop": "350",
            "apply": "1",
        },
    )

    assert "Closed 1 session(s) by hand." in done.text and "Already stopped" in done.text
    closed = Transaction.objects.get(pk=open_one.pk)
    assert (closed.closed_manually, closed.closed_by, closed.close_reason) == (
        True,
        "admin user alice",
        "Lost after power cut",
    )
    assert (closed.stop_reason, closed.meter_stop, closed.energy_wh) == ("Other", 350, 250)
    assert Transaction.objects.get(pk=stopped.pk).closed_manually is False
    history = alice.get(f"/admin/charging/transaction/{closed.pk}/history/").text
    assert "Closed by hand: Lost after power cut" in history


def test_a_close_without_a_reason_changes_nothing(alice, sessions):
    open_one = sessions[0]
    page = alice.post(
        "/admin/charging/transaction/", {"action": "close", "_selected_action": [open_one.pk], "apply": "1"}
    )
    assert "This field is required" in page.text
    assert Transaction.objects.get(pk=open_one.pk).is_active


def test_an_operator_cannot_close_another_organisations_session(alice, sessions):
    theirs = sessions[2]
    alice.post(
        "/admin/charging/transaction/",
        {"action": "close", "_selected_action": [theirs.pk], "reason": "x", "apply": "1"},
    )
    assert Transaction.objects.get(pk=theirs.pk).is_active


def test_the_local_lists_are_shown(boss, acme):
    page = boss.get("/admin/charging/chargerlocallist/")
    assert page.status_code == 200


def add_tag(browser, organisation, **fields) -> requests.Response:
    form = {
        "organisation": organisation.pk,
        "status": "Accepted",
        "max_active_transactions": "1",
        "note": "",
        "parent": "",
        **fields,
    }
    return browser.post("/admin/charging/idtag/add/", form)


def test_the_add_form_creates_a_tag(alice, acme):
    add_tag(alice, acme, id_tag="CARD-1")
    assert IdTag.objects.filter(organisation=acme, id_tag="CARD-1").exists()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"id_tag": "X" * 21}, "at most 20 characters"),
        ({"id_tag": "card-1"}, "The organisation has this id tag already"),
        ({"id_tag": "NEW", "parent": "THEIRS"}, "same organisation"),
    ],
)
def test_the_add_form_applies_the_id_tag_rules(boss, acme, globex, fields, message):
    IdTag.objects.create(organisation=acme, id_tag="CARD-1")
    theirs = IdTag.objects.create(organisation=globex, id_tag="THEIRS")
    if fields.get("parent") == "THEIRS":
        fields = {**fields, "parent": theirs.pk}
    response = add_tag(boss, acme, **fields)
    assert message in response.text
    assert IdTag.objects.filter(organisation=acme).count() == 1
