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
