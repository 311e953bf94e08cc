"""No endpoint lets one organisation read or command another's chargers.

The endpoints are taken from the URL resolver, so a new endpoint under /api/v1/ that
takes a chargeBoxId or an object id is covered without editing this file.
"""

import re
from datetime import timedelta

import pytest
import requests
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import SCOPES, ApiKey
from billing.models import SessionTariff
from billing.services import cdr_issue, tariff_create
from chargers.models import Site
from charging.models import IdTag, Transaction
from commands.models import Command, FleetJob
from webhooks.models import Webhook

API_PREFIX = "api/v1/"
# A value for each path converter a route may hold; ids of Acme's objects are filled in per test.
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
BODY_METHODS = {"post", "put", "patch"}


def api_routes(patterns=None, prefix: str = "") -> list[tuple[str, type]]:
    """(route, view class) of every URL pattern, with the routes of included resolvers joined."""
    routes = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += api_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "view_class"):
            routes.append((route, pattern.callback.view_class))
    return routes


def object_routes() -> list[tuple[str, str]]:
    """(route, method) of every /api/v1/ endpoint that names one object in its path."""
    found = []
    for route, view in api_routes():
        if not route.startswith(API_PREFIX) or not PARAMETER.search(route):
            continue
        for method in view.http_method_names:
            if method not in {"options", "head"} and hasattr(view, method):
                found.append((route, method))
    # Deletes come last, the charger's very last, so that the owner's own requests still find everything.
    return sorted(
        found,
        key=lambda item: (item[1] == "delete", item[1] == "delete" and item[0].endswith("<str:chargeBoxId>"), item),
    )


def fill(route: str, values: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match["name"]
        if name in values:
            return values[name]
        return "1" if match["converter"] == "int" else "x"

    return "/" + PARAMETER.sub(value, route)


TARIFF = {"id": "T-ACME", "currency": "EUR", "elements": [{"price_components": [{"type": "ENERGY", "price": 0.3}]}]}


@pytest.fixture
def acme_objects(charger, acme):
    """One of every object an endpoint names, Acme's: each route is filled with these."""
    command = Command.objects.create(organisation=acme, charger=charger, action="Reset", request={"type": "Soft"})
    job = FleetJob.objects.create(organisation=acme, command="reset", neutral_command="reset", params={"type": "Soft"})
    webhook = Webhook.objects.create(organisation=acme, url="http://127.0.0.1:9/hook", events=["connector.status"])
    site = Site.objects.create(organisation=acme, name="Depot", capacity_limit=64)
    tag = IdTag.objects.create(organisation=acme, id_tag="TAG-ACME")
    session = Transaction.objects.create(
        charger=charger, ocpp_id="4711", connector_id=1, id_tag=tag.id_tag, meter_start=0, start_time=timezone.now()
    )
    tariff = tariff_create(organisation=acme, document=TARIFF)
    ended = Transaction.objects.create(
        charger=charger, ocpp_id="4712", connector_id=1, id_tag=tag.id_tag, meter_start=0, meter_stop=1000,
        start_time=timezone.now() - timedelta(hours=1), stop_time=timezone.now(),
    )  # fmt: skip
    SessionTariff.objects.create(transaction=ended, tariff=tariff, snapshot=tariff.document, assigned_by="charger")
    return {
        "chargeBoxId": charger.charge_box_id,
        "charge_point_id": charger.charge_box_id,  # the OCPP 1.6 API's name for it
        "tariffId": tariff.tariff_id,
        "cdrId": cdr_issue(session=ended).cdr_id,
        "commandId": str(command.pk),
        "connectorId": "1",
        "jobId": str(job.pk),
        "webhookId": str(webhook.pk),
        "id": str(site.pk),
        "idTag": tag.id_tag,
        "transactionId": session.ocpp_id,
    }


@pytest.fixture
def globex_session(globex):
    session = requests.Session()
    session.headers["X-API-Key"] = ApiKey.generate(organisation=globex, scopes=list(SCOPES))[1]
    return session


def test_the_routes_under_test_include_charger_and_command_endpoints():
    routes = {route for route, _ in object_routes()}
    assert "api/v1/chargers/<str:chargeBoxId>" in routes
    assert "api/v1/chargers/<str:chargeBoxId>/reset" in routes
    assert "api/v1/commands/<uuid:commandId>" in routes
    assert len(routes) >= 15


def test_no_endpoint_shows_or_commands_another_organisations_objects(server, api, globex_session, acme_objects):
    answers = {}
    for route, method in object_routes():
        url = server.http + fill(route, acme_objects)
        body = {"json": {}} if method in BODY_METHODS else {}
        answers[(route, method)] = getattr(globex_session, method)(url, **body).status_code
    leaks = {key: code for key, code in answers.items() if code != 404}
    assert not leaks, f"another organisation's objects answered with something other than 404: {leaks}"

    # The same URLs do reach the owner's objects: the 404s above are about ownership, not a bad URL.
    for route, method in object_routes():
        url = server.http + fill(route, acme_objects)
        body = {"json": {}} if method in BODY_METHODS else {}
        code = getattr(api, method)(url, **body).status_code
        assert code != 404, f"{method.upper()} {url} is a 404 for its own organisation too"
    assert Command.objects.filter(organisation__name="Globex").count() == 0


def test_filtering_a_list_by_another_organisations_charger_shows_nothing(server, api, globex_session, acme_objects):
    for path in ("/api/v1/commands", "/api/v1/chargers", "/api/v1/status"):
        mine = api.get(server.http + path, params={"chargeBoxId": "CP-1"})
        theirs = globex_session.get(server.http + path, params={"chargeBoxId": "CP-1"})
        assert theirs.status_code == 200, (path, theirs.text)
        assert "CP-1" not in theirs.text, path
        assert mine.status_code == 200, (path, mine.text)
    assert "CP-1" in api.get(server.http + "/api/v1/commands").text
