"""What operators reach for next, in a real browser: fleet jobs from a bulk action, webhooks, keys, pages."""

import asyncio

import pytest

from chargers.services.registry import charger_register
from tests.ocpp_rpc import strict_charger
from tests.test_console_browser import in_browser, log_in, operator  # noqa: F401 (the operator fixture)

pytestmark = [pytest.mark.browser, pytest.mark.node]


@pytest.mark.usefixtures("operator", "server_worker")
def test_a_bulk_reset_of_many_chargers_becomes_a_fleet_job_whose_progress_follows_live(server, acme):
    for n in range(1, 8):  # seven: more than CSMS_CONSOLE_FLEET_JOB_THRESHOLD (5)
        charger_register(organisation=acme, charge_box_id=f"CP-{n}")
    bar = "[data-live-fleet-job]"
    with strict_charger(server.ws, "CP-1") as one, strict_charger(server.ws, "CP-2") as two:
        # The five others are offline and fail at once; these two take their time, so the page sees them answer.
        one.respond("Reset", {"status": "Accepted"}, delay_ms=3000)
        two.respond("Reset", {"status": "Rejected"}, delay_ms=4000)

        async def scenario(page):
            await log_in(page, server, "/admin/chargers/charger/")
            await page.check("#action-toggle")
            await page.select_option("select[name=action]", "send_reset")
            await page.click("button[name=index]")
            assert "this runs as a fleet job" in await page.inner_text("#as-fleet-job")
            await page.select_option("#id_type", "Soft")
            await page.click("#command-form input[type=submit]")
            await page.wait_for_url("**/admin/commands/fleetjob/*/change/")
            assert await page.get_attribute(bar, "data-status") == "running"
            await page.evaluate("window.sameDocument = true")
            await page.wait_for_selector('html[data-live="open"]')
            await page.wait_for_selector(f'{bar}[data-status="finished"]', timeout=15_000)
            assert await page.inner_text(f"{bar} .cs-progress-text") == "7 of 7 (2 answered, 5 failed)"
            assert await page.eval_on_selector(f"{bar} progress", "p => [p.value, p.max]") == [7, 7]
            assert await page.evaluate("window.sameDocument") is True  # no reload happened

        in_browser(scenario)
        assert one.next_call()["payload"] == {"type": "Soft"} and two.next_call()["action"] == "Reset"


@pytest.mark.usefixtures("operator", "server_worker")
def test_an_operator_adds_a_webhook_and_resends_a_failed_delivery(server, acme, charger):
    from tests.raw_charger import RawCharger
    from tests.webhook_receiver import Receiver

    receiver = Receiver("", fail_first=1)  # its secret is known once the console shows it

    async def scenario(page):
        await log_in(page, server, "/admin/webhooks/webhook/add/")
        await page.select_option("#id_organisation", str(acme.pk))
        await page.fill("#id_url", receiver.url)
        await page.check('input[name=events][value="charger.connected"]')
        await page.click("input[name=_save]")
        receiver.secret = await page.input_value("#webhook-secret")
        assert receiver.secret.startswith("whsec_")
        await page.click("#copy-webhook-secret")
        await page.wait_for_selector('#copy-webhook-secret[data-copied="true"]')
        await page.click("#webhook-done")
        assert receiver.secret not in await page.content()

        # An event; the receiver fails it (HTTP 500), and the webhook's page lists the failed attempt.
        async with await RawCharger.connect(server.ws, "CP-1"):
            while not receiver.received:
                await asyncio.sleep(0.1)
        for _ in range(50):
            await page.reload()
            if await page.locator("#recent-deliveries tr").count():
                break
            await asyncio.sleep(0.2)
        assert "HTTP 500" in await page.inner_text("#recent-deliveries")

        await page.click("#all-deliveries")
        row = page.locator("#result_list tbody tr", has_text="HTTP 500")
        await row.locator("input.action-select").check()
        await page.select_option("select[name=action]", "resend")
        await page.click("button[name=index]")
        assert "Resending 1 deliveries" in await page.inner_text("ul.messagelist")
        for _ in range(50):
            if len(receiver.received) == 2:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)  # the attempt is recorded once the receiver answered
        await page.reload()
        assert await page.locator("#result_list tbody tr").count() == 2
        newest = page.locator("#result_list tbody tr").first
        assert "charger.connected" in await newest.inner_text()
        assert await newest.locator("img[alt=True]").count() == 1  # the resent attempt succeeded

    try:
        in_browser(scenario)
    finally:
        receiver.close()
    first, again = receiver.received
    assert again["valid"] and again["body"] == first["body"]
    assert again["headers"]["X-CSMS-Delivery"] == first["headers"]["X-CSMS-Delivery"]


@pytest.mark.usefixtures("operator")
def test_the_dashboard_tiles_show_the_session_and_filter_by_site(server, acme):
    from datetime import timedelta

    from django.utils import timezone

    from chargers.models import Site
    from chargers.services.reports import status_record
    from charging.models import MeterValue, Transaction

    depot = Site.objects.create(organisation=acme, name="Depot", capacity_limit=64)
    bay = charger_register(organisation=acme, charge_box_id="CP-1")
    bay.site = depot
    bay.save(update_fields=["site"])
    street = charger_register(organisation=acme, charge_box_id="CP-2")
    status_record(charger_id=bay.pk, connector_id=1, status="Charging", error_code="NoError")
    status_record(charger_id=street.pk, connector_id=1, status="Faulted", error_code="GroundFailure",
                  vendor_error_code="GF-42")  # fmt: skip
    start = timezone.now() - timedelta(minutes=42)
    session = Transaction.objects.create(charger=bay, ocpp_id="77", connector_id=1, id_tag="DRIVER-7",
                                         start_time=start, meter_start=1000)  # fmt: skip
    for measurand, value, unit in (("Energy.Active.Import.Register", 8.5, "kWh"), ("Power.Active.Import", 7200, "W")):
        MeterValue.objects.create(charger=bay, connector_id=1, transaction=session, timestamp=timezone.now(),
                                  measurand=measurand, value=str(value), numeric=value, unit=unit)  # fmt: skip
    cell = '[data-connector="CP-1/1"]'

    async def scenario(page):
        await log_in(page, server, "/dashboard/")
        await page.wait_for_selector(f"{cell} .cs-figures")
        assert await page.inner_text(f"{cell} .cs-power") == "7.2 kW"
        assert await page.inner_text(f"{cell} .cs-energy") == "7.50 kWh"
        assert await page.inner_text(f"{cell} .cs-id-tag") == "DRIVER-7"
        first = await page.inner_text(f"{cell} .cs-elapsed")
        assert first.startswith("0:42:") or first.startswith("0:41:")
        await page.wait_for_function(f"document.querySelector('{cell} .cs-elapsed').textContent !== '{first}'")
        assert await page.inner_text("#fleet-power") == "7.2"
        assert "GF-42" in await page.inner_text('[data-connector="CP-2/1"]')
        assert "GroundFailure · GF-42" in await page.inner_text("#recent-faults")

        await page.select_option("#site-filter", label="Depot")
        assert await page.locator(".cs-charger").count() == 1
        assert await page.inner_text("#count-faulted") == "0"
        assert await page.get_attribute("#link-charging", "href") == (
            f"/admin/chargers/charger/?connector_status=Charging&site__id__exact={depot.pk}"
        )
        await page.select_option("#site-filter", "")
        await page.check("#group-by-site")
        assert await page.locator(".cs-site h3").all_inner_texts() == ["Depot · 1", "No site · 1"]
        await page.click("#link-faulted")
        await page.wait_for_url("**/admin/chargers/charger/?connector_status=Faulted")
        assert await page.locator("#result_list tbody tr").count() == 1

    in_browser(scenario)


@pytest.mark.usefixtures("operator")
def test_a_quick_action_on_the_charger_page_unlocks_the_connector_it_sits_by(server, charger):
    from chargers.services.reports import status_record

    for connector in (1, 2):
        status_record(charger_id=charger.pk, connector_id=connector, status="Available", error_code="NoError")
    with strict_charger(server.ws, "CP-1") as cp:
        cp.respond("UnlockConnector", {"status": "Unlocked"})

        async def scenario(page):
            await log_in(page, server, f"/admin/chargers/charger/{charger.pk}/change/")
            first = await page.locator("#charger-now, #commands, fieldset.module.aligned").evaluate_all(
                "nodes => nodes.map(n => n.id || 'edit form')"
            )
            assert first[:2] == ["charger-now", "commands"] and "edit form" in first
            await page.click('#live-connectors tr[data-connector="2"] a[data-quick="unlock"]')
            assert await page.eval_on_selector("#id_connectorId", "s => s.selectedOptions[0].textContent") == (
                "2 · Available"
            )
            await page.click("#command-form input[type=submit]")
            await page.wait_for_selector('#command-result [data-outcome="answered"]')

        in_browser(scenario)
        assert cp.next_call()["payload"] == {"connectorId": 2}


@pytest.mark.usefixtures("operator")
def test_an_api_key_is_created_with_a_scope_and_copied(server, acme):
    async def scenario(page):
        await log_in(page, server, "/admin/accounts/apikey/add/")
        await page.select_option("#id_organisation", str(acme.pk))
        await page.fill("#id_name", "billing")
        await page.click("input[name=_save]")
        assert "Choose at least one scope" in await page.inner_text(".errorlist")
        await page.check('input[name=scopes][value="read:charge_points"]')
        await page.click("input[name=_save]")
        key = await page.input_value("#api-key")
        await page.click("#copy-api-key")
        await page.wait_for_selector('#copy-api-key[data-copied="true"]')
        assert await page.evaluate("window.getSelection().toString() || document.activeElement.value") == key

    in_browser(scenario)
