"""The operator console in a real browser: Debian's headless Chromium driven by Playwright."""

import asyncio
import os

import pytest
from django.contrib.auth.models import User

from chargers.services.reports import status_record
from tests import services
from tests.raw_charger import RawCharger

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CSMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "operator-password"


def require_chromium() -> None:
    """Chromium and Playwright are test dependencies: skip without them, fail if CI requires them."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (pip install -r requirements.txt)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if services.required():
            pytest.fail(f"CSMS_REQUIRE_SERVICES is set but {message}")
        pytest.skip(message)


@pytest.fixture
def operator(transactional_db):
    require_chromium()
    return User.objects.create_superuser("operator", "operator@example.com", PASSWORD)


def in_browser(scenario):
    """Run `scenario(page)` in a fresh headless Chromium page."""
    from playwright.async_api import async_playwright

    async def run():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(10_000)
                await scenario(page)
            finally:
                await browser.close()

    asyncio.run(run())


async def log_in(page, server, path="/admin/"):
    await page.goto(f"{server.http}{path}")
    await page.fill("#id_username", "operator")
    await page.fill("#id_password", PASSWORD)
    await page.click("input[type=submit]")
    await page.wait_for_load_state()


def test_an_operator_logs_in_to_the_admin(server, operator):
    async def scenario(page):
        await page.goto(f"{server.http}/admin/")
        assert "/admin/login/" in page.url
        await log_in(page, server)
        assert page.url == f"{server.http}/admin/"
        assert await page.text_content("#site-name") == "CSMS operator console"
        assert await page.get_attribute("#dashboard-link", "href") == "/dashboard/"

    in_browser(scenario)


def test_the_dashboard_shows_a_charger_coming_online_and_its_connector_changing_without_reload(
    server, operator, charger
):
    tile = '.cs-charger[data-charger="CP-1"]'
    cell = '[data-connector="CP-1/1"]'

    async def colour(page):
        return await page.eval_on_selector(cell, "node => getComputedStyle(node).backgroundColor")

    async def scenario(page):
        await log_in(page, server, "/dashboard/")
        assert page.url == f"{server.http}/dashboard/"
        await page.wait_for_selector('#live-state[data-state="live"]')
        await page.wait_for_selector(f'{tile}[data-online="false"]')
        assert await page.text_content("#count-online") == "0"
        await page.evaluate("window.sameDocument = true")

        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            await page.wait_for_selector(f'{tile}[data-online="true"]')
            assert await page.text_content("#count-online") == "1"

            await cp.call("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})
            await page.wait_for_selector(f'{cell}[data-status="Available"]')
            available = await colour(page)

            await cp.call("StatusNotification", {"connectorId": 1, "status": "Charging", "errorCode": "NoError"})
            await page.wait_for_selector(f'{cell}[data-status="Charging"]')
            assert await page.text_content("#count-charging") == "1"
            charging = await colour(page)
            assert available != charging

        await page.wait_for_selector(f'{tile}[data-online="false"]')
        assert await page.evaluate("window.sameDocument") is True  # no reload happened

    in_browser(scenario)


def test_a_snapshot_that_left_before_a_live_event_does_not_undo_it(server, operator, charger):
    """The dashboard fetches a fresh snapshot 2 s after an event (energy, faults). A snapshot the server built
    before a later event, arriving after it, once drew the old state again until the next refresh."""
    cell = '[data-connector="CP-1/1"]'

    async def scenario(page):
        held = asyncio.Queue()

        async def hold(route):  # the first: the server's answer, built now, given to the page when the test says
            if held.empty():
                await held.put((route, await route.fetch()))
            else:
                await route.continue_()

        await log_in(page, server, "/dashboard/")
        await page.wait_for_selector('#live-state[data-state="live"]')
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            await cp.call("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})
            await page.wait_for_selector(f'{cell}[data-status="Available"]')
            await page.route("**/dashboard/data/", hold)
            route, stale = await asyncio.wait_for(held.get(), 10)  # the refresh 2 s after that event
            await cp.call("StatusNotification", {"connectorId": 1, "status": "Charging", "errorCode": "NoError"})
            await page.wait_for_selector(f'{cell}[data-status="Charging"]')
            await route.fulfill(response=stale)  # still says Available
            await page.wait_for_timeout(300)
            assert await page.get_attribute(cell, "data-status") == "Charging"
            assert await page.text_content("#count-charging") == "1"

    in_browser(scenario)


def test_an_operator_opens_a_chargers_admin_page(server, operator, charger):
    status_record(charger_id=charger.pk, connector_id=1, status="Faulted", error_code="GroundFailure")

    async def scenario(page):
        await log_in(page, server, "/admin/chargers/charger/")
        row = page.locator("#result_list tbody tr", has_text="CP-1")
        assert "1 Faulted" in await row.inner_text()
        await row.get_by_role("link", name="CP-1").click()
        await page.wait_for_selector("#status-notifications")
        assert "GroundFailure" in await page.inner_text("#status-notifications")
        pill = page.locator(f'[data-live-connector="{charger.pk}/1"]').first
        assert await pill.inner_text() == "Faulted"
        # The connector's status on this page follows the charger live.
        await page.wait_for_selector('html[data-live="open"]')
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            await page.wait_for_selector(f'[data-live-charger="{charger.pk}"].cs-online')
            await cp.call("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})
            await page.wait_for_selector(f'[data-live-connector="{charger.pk}/1"].cs-status-Available')

    in_browser(scenario)


@pytest.mark.node
def test_an_operator_resets_a_connected_charger_and_sees_its_answer(server, operator, charger):
    from tests.ocpp_rpc import strict_charger

    with strict_charger(server.ws, "CP-1") as cp:
        cp.respond("Reset", {"status": "Accepted"})

        async def scenario(page):
            await log_in(page, server, f"/admin/chargers/charger/{charger.pk}/change/")
            await page.click('#commands a[data-command="reset"]')
            await page.select_option("#id_type", "Soft")
            await page.click("#command-form input[type=submit]")
            result = page.locator('#command-result [data-outcome="answered"]')
            await result.wait_for()
            assert "Soft reset accepted by charger" in await result.inner_text()
            assert await page.inner_text("#command-result .cs-answer-status") == "Accepted"
            # The command log shows who asked and what the charger answered.
            await page.click("#command-result a")
            assert "operator" in await page.inner_text("#content-main")

        in_browser(scenario)
        assert cp.next_call()["payload"] == {"type": "Soft"}


@pytest.mark.node
def test_an_operator_edits_a_configuration_key(server, operator, charger):
    from tests.ocpp_rpc import strict_charger

    keys = [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
    ]
    with strict_charger(server.ws, "CP-1") as cp:
        cp.respond("GetConfiguration", {"configurationKey": keys})
        cp.respond("ChangeConfiguration", {"status": "Accepted"})

        async def scenario(page):
            await log_in(page, server, f"/admin/chargers/charger/{charger.pk}/change/")
            await page.click("#configuration-link")
            row = page.locator('#configuration tr[data-key="HeartbeatInterval"]')
            await row.wait_for()
            assert await page.locator('#configuration tr[data-key="NumberOfConnectors"] input').count() == 0
            await row.locator("input[name=value]").fill("600")
            await row.get_by_role("button", name="Save").click()
            await page.wait_for_selector('#command-result [data-outcome="answered"]')
            assert "Change of HeartbeatInterval accepted by charger" in await page.inner_text("#command-result")

        in_browser(scenario)
        actions = [cp.next_call() for _ in range(3)]
    assert actions[1]["action"] == "ChangeConfiguration"
    assert actions[1]["payload"] == {"key": "HeartbeatInterval", "value": "600"}


@pytest.mark.node
def test_an_operator_opens_a_transactions_chart(server, operator, charger):
    from charging.models import IdTag
    from tests.ocpp_rpc import strict_charger
    from tests.test_admin_commands import charge

    IdTag.objects.create(organisation=charger.organisation, id_tag="DRIVER-7")
    with strict_charger(server.ws, "CP-1") as cp:
        transaction_id = charge(cp)

    async def scenario(page):
        await log_in(page, server, "/admin/charging/transaction/")
        await page.get_by_role("link", name=str(transaction_id)).click()
        chart = page.locator("#transaction-chart svg")
        await chart.wait_for()
        box = await chart.bounding_box()
        assert box["width"] > 400 and box["height"] > 100
        assert await page.locator('circle[data-series="power"]').count() == 4
        assert await page.locator('circle[data-series="energy"]').count() == 5
        # The energy line climbs from the start to 10 kWh: its last point is drawn highest (smallest y).
        ys = [float(y) for y in await page.locator('circle[data-series="energy"]').evaluate_all(
            "nodes => nodes.map(n => n.getAttribute('cy'))")]  # fmt: skip
        assert ys == sorted(ys, reverse=True) and ys[0] > ys[-1]

    in_browser(scenario)


@pytest.mark.node
def test_the_dashboard_shows_a_2_0_1_chargers_evses_and_its_session_live(server, operator, charger):
    from tests.ocpp_rpc import strict_charger

    first, second = '[data-connector="CP-1/1/1"]', '[data-connector="CP-1/2/1"]'
    t0 = "2026-02-10T14:00:00Z"

    def status(cp, evse: int, state: str) -> None:
        cp.call("StatusNotification", {"timestamp": t0, "connectorStatus": state, "evseId": evse, "connectorId": 1})

    def session(cp, event_type: str, seq_no: int, **info) -> None:
        cp.call("TransactionEvent", {
            "eventType": event_type, "timestamp": t0, "seqNo": seq_no, "triggerReason": "ChargingStateChanged",
            "evse": {"id": 2, "connectorId": 1}, "transactionInfo": {"transactionId": "TX-201", **info}})  # fmt: skip

    with strict_charger(server.ws, "CP-1", protocol="ocpp2.0.1") as cp:
        status(cp, 1, "Available")

        async def scenario(page):
            await log_in(page, server, "/dashboard/")
            await page.wait_for_selector('#live-state[data-state="live"]')
            await page.wait_for_selector(f'{first}[data-status="Available"]')
            await page.evaluate("window.sameDocument = true")

            await asyncio.to_thread(status, cp, 2, "Occupied")
            await page.wait_for_selector(f'{second}[data-status="Occupied"]')
            assert await page.text_content(f"{second} b") == "2/1"
            await asyncio.to_thread(session, cp, "Started", 0, chargingState="Charging")
            await page.wait_for_selector(f'{second}[data-session="TX-201"][data-charging="true"]')
            assert "Charging" in await page.text_content(f"{second} .cs-session")
            assert await page.get_attribute(first, "data-session") == ""
            assert await page.text_content("#count-charging") == "1"

            await asyncio.to_thread(session, cp, "Ended", 1, stoppedReason="Local")
            await page.wait_for_selector(f'{second}[data-session=""][data-charging="false"]')
            assert await page.text_content("#count-charging") == "0"
            assert await page.evaluate("window.sameDocument") is True  # no reload happened

            # The charger's admin page repaints the pill of the right EVSE.
            await page.goto(f"{server.http}/admin/chargers/charger/{charger.pk}/change/")
            await page.wait_for_selector('html[data-live="open"]')
            await asyncio.to_thread(status, cp, 2, "Faulted")
            await page.wait_for_selector(f'[data-live-connector="{charger.pk}/2/1"].cs-status-Faulted')
            assert await page.get_attribute(f'[data-live-connector="{charger.pk}/1/1"]', "class") == (
                "cs-pill cs-status-Available")  # fmt: skip

        in_browser(scenario)
