"""What operators reach for next, in a real browser: fleet jobs from a bulk action, webhooks, keys, pages."""

import pytest

from chargers.services.registry import charger_register
from tests.ocpp_rpc import strict_charger
from tests.test_console_browser import in_browser, log_in, operator  # noqa: F401 (the operator fixture)

pytestmark = [pytest.mark.browser, pytest.mark.node]


@pytest.mark.usefixtures("operator")
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
