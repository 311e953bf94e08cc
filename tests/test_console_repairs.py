"""What broke in a day of using the operator console, each in a real browser (see test_console_browser.py)."""

import asyncio
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import test_console_browser
from tests.raw_charger import RawCharger
from tests.test_console_browser import in_browser, log_in

pytestmark = pytest.mark.browser
operator = test_console_browser.operator  # the fixture: a superuser, and Chromium required


def open_session(charger, *, connector_id: int = 1, ocpp_id: str = "77", minutes: int = 30, **fields):
    from charging.models import Transaction

    return Transaction.objects.create(
        charger=charger, ocpp_id=ocpp_id, connector_id=connector_id, id_tag="DRIVER-7", meter_start=1000,
        start_time=timezone.now() - timedelta(minutes=minutes), **fields,
    )  # fmt: skip


def test_the_fleet_jobs_list_opens_and_names_each_job_by_its_command_and_size(server, operator, acme):
    from commands.models import FleetJob

    FleetJob.objects.create(organisation=acme, command="firmware/update", total=12, done=3)

    async def scenario(page):
        await log_in(page, server, "/admin/commands/fleetjob/")
        assert "Select fleet job" in await page.inner_text("#content")
        row = page.locator("#result_list tbody tr").first
        assert "firmware/update on 12 chargers" in await row.inner_text()

    in_browser(scenario)


@pytest.mark.node
def test_a_remote_start_goes_out_from_the_console_with_and_without_a_charging_profile(server, operator, charger):
    from tests.ocpp_rpc import strict_charger

    with strict_charger(server.ws, "CP-1") as cp:
        cp.respond("RemoteStartTransaction", {"status": "Accepted"})

        async def scenario(page):
            await log_in(page, server, f"/admin/chargers/charger/{charger.pk}/command/transaction_start/")
            await page.fill("#id_idTag", "DRIVER-7")
            await page.fill("#id_connectorId", "1")
            await page.click("#command-form input[type=submit]")
            await page.locator('#command-result [data-outcome="answered"]').wait_for()
            assert await page.locator(".errorlist").count() == 0
            assert await page.inner_text("#command-result .cs-answer-status") == "Accepted"

            # The same from the chargers' list, as a bulk action.
            await page.goto(f"{server.http}/admin/chargers/charger/")
            await page.check(f'input[name=_selected_action][value="{charger.pk}"]')
            await page.select_option("select[name=action]", "send_transaction_start")
            await page.click("button[name=index]")
            await page.fill("#id_idTag", "DRIVER-7")
            await page.click("#command-form input[type=submit]")
            await page.locator('#bulk-results tr[data-charger="CP-1"].cs-ok').wait_for()

            # And with a charging profile for the session.
            await page.goto(f"{server.http}/admin/chargers/charger/{charger.pk}/command/transaction_start/")
            await page.fill("#id_idTag", "DRIVER-7")
            await page.fill("#id_connectorId", "1")
            profile = "#id_chargingProfile\\."
            await page.fill(f"{profile}chargingProfileId", "5")
            await page.fill(f"{profile}stackLevel", "0")
            await page.select_option(f"{profile}chargingProfilePurpose", "TxProfile")
            await page.select_option(f"{profile}chargingProfileKind", "Relative")
            await page.select_option(f"{profile}chargingSchedule\\.chargingRateUnit", "A")
            periods = "chargingProfile.chargingSchedule.chargingSchedulePeriod"  # typed as rows
            await page.fill(f'[name="{periods}.0.startPeriod"]', "0")
            await page.fill(f'[name="{periods}.0.limit"]', "16")
            await page.click("#command-form input[type=submit]")
            await page.locator('#command-result [data-outcome="answered"]').wait_for()

        in_browser(scenario)
        calls = [cp.next_call()["payload"] for _ in range(3)]
    assert calls[:2] == [{"idTag": "DRIVER-7", "connectorId": 1}, {"idTag": "DRIVER-7"}]
    assert calls[2]["chargingProfile"] == {
        "chargingProfileId": 5, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]},
    }  # fmt: skip


def test_a_sites_page_shows_its_current_allocation(server, operator, charger):
    from chargers.models import Site

    site = Site.objects.create(organisation=charger.organisation, name="Depot", capacity_limit=64, capacity_unit="A")
    type(charger).objects.filter(pk=charger.pk).update(site=site, max_current=32, min_current=6)
    open_session(charger)

    async def scenario(page):
        await log_in(page, server, f"/admin/chargers/site/{site.pk}/change/")
        allocation = await page.inner_text(".field-allocation")
        assert "CP-1" in allocation and "32 A" in allocation

    in_browser(scenario)


def test_an_offline_charger_shows_its_connectors_as_unknown(server, operator, charger):
    from chargers.services.reports import status_record

    status_record(charger_id=charger.pk, connector_id=1, status="Available", error_code="NoError")
    pill = f'[data-live-connector="{charger.pk}/1"]'

    async def colour(page):
        return await page.eval_on_selector(pill, "node => getComputedStyle(node).backgroundColor")

    async def scenario(page):
        await log_in(page, server, "/admin/chargers/charger/")
        unknown = await page.eval_on_selector(pill, """node => {
            const probe = document.createElement("span");
            probe.className = "cs-pill cs-status-Unknown";
            document.body.append(probe);
            return getComputedStyle(probe).backgroundColor;
        }""")  # fmt: skip
        assert await colour(page) == unknown
        await page.wait_for_selector('html[data-live="open"]')
        async with await RawCharger.connect(server.ws, "CP-1"):
            await page.wait_for_selector(f'[data-live-charger="{charger.pk}"].cs-online')
            assert await colour(page) != unknown  # online: its last status counts again
        await page.wait_for_selector(f'[data-live-charger="{charger.pk}"].cs-offline')
        assert await colour(page) == unknown
        # The dashboard greys them too.
        await page.goto(f"{server.http}/dashboard/")
        cell = '.cs-charger[data-online="false"] [data-connector="CP-1/1"]'
        # The dashboard redraws its tiles as news comes: the colour is read from the cell on the page then.
        await page.wait_for_function(
            "([cell, unknown]) => { const node = document.querySelector(cell);"
            " return node !== null && getComputedStyle(node).backgroundColor === unknown; }",
            arg=[cell, unknown],
        )

    in_browser(scenario)


def test_the_charging_filter_finds_2_0_1_sessions_that_charge_as_the_dashboard_counts_them(
    server,
    operator,
    charger,
    acme,
):
    from chargers.services.registry import charger_register
    from chargers.services.reports import status_record
    from charging.models import TransactionEvent

    status_record(charger_id=charger.pk, connector_id=1, status="Charging", error_code="NoError")
    v201 = charger_register(organisation=acme, charge_box_id="CP-201")
    type(v201).objects.filter(pk=v201.pk).update(ocpp_protocol="ocpp2.0.1")
    status_record(charger_id=v201.pk, connector_id=1, evse_id=1, status="Occupied", error_code="NoError")
    session = open_session(v201, evse_id=1, ocpp_id="TX-9")
    TransactionEvent.objects.create(charger=v201, transaction=session, event_type="Updated", seq_no=1,
                                    trigger_reason="ChargingStateChanged", timestamp=timezone.now(),
                                    charging_state="Charging", payload={})  # fmt: skip
    charger_register(organisation=acme, charge_box_id="CP-IDLE")

    async def scenario(page):
        await log_in(page, server, "/admin/chargers/charger/")
        await page.locator("#changelist-filter").get_by_role("link", name="Charging", exact=True).click()
        await page.wait_for_url("**connector_status=Charging**")
        rows = await page.locator("#result_list tbody th a").all_inner_texts()
        assert sorted(rows) == ["CP-1", "CP-201"]

    in_browser(scenario)


SECONDS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


def test_the_message_log_and_the_command_list_show_seconds_find_statuses_and_id_tags_and_whole_frames(
    server,
    operator,
    charger,
):
    import re

    from commands.models import Command
    from ocpp_ws.models import OcppMessage

    long_tail = "x" * 300
    start = [2, "m-1", "StartTransaction", {"connectorId": 1, "idTag": "DRIVER-7", "meterStart": 0,
                                            "timestamp": "2026-03-01T10:00:00Z", "note": long_tail}]  # fmt: skip
    status = [2, "m-2", "StatusNotification", {"connectorId": 1, "status": "Faulted", "errorCode": "GroundFailure"}]
    for frame in (start, status):
        OcppMessage.objects.create(charger=charger, direction="in", message_type=2, action=frame[2],
                                   unique_id=frame[1], frame=json.dumps(frame), at=timezone.now())  # fmt: skip
    for action, request, response in (("RemoteStartTransaction", {"idTag": "DRIVER-7"}, {"status": "Accepted"}),
                                      ("Reset", {"type": "Hard"}, {"status": "Rejected"})):  # fmt: skip
        Command.objects.create(organisation=charger.organisation, charger=charger, action=action, request=request,
                               response=response, status="answered")  # fmt: skip

    async def search(page, path, words):
        await page.goto(f"{server.http}{path}?q={words}")
        return await page.locator("#result_list tbody tr").all_inner_texts()

    async def scenario(page):
        await log_in(page, server, "/admin/ocpp_ws/ocppmessage/")
        first = await page.inner_text("#result_list tbody tr .field-at")
        assert re.fullmatch(SECONDS, first.strip()), first
        assert len(await search(page, "/admin/ocpp_ws/ocppmessage/", "GroundFailure")) == 1
        [row] = await search(page, "/admin/ocpp_ws/ocppmessage/", "DRIVER-7")
        assert long_tail in row  # the whole frame, not its first 140 characters
        frame = page.locator("#result_list td.field-short_frame code")
        box, cell = await frame.bounding_box(), await page.locator("#result_list td.field-short_frame").bounding_box()
        assert box["x"] + box["width"] <= cell["x"] + cell["width"] + 1  # wrapped inside its column

        [row] = await search(page, "/admin/commands/command/", "Rejected")
        assert "Reset" in row
        [row] = await search(page, "/admin/commands/command/", "DRIVER-7")
        assert "RemoteStartTransaction" in row
        asked = await page.inner_text("#result_list tbody tr .field-created_at")
        assert re.fullmatch(SECONDS, asked.strip()), asked

    in_browser(scenario)


@pytest.mark.node
def test_a_hard_reset_asks_first_and_a_sent_command_shows_it_waits(server, operator, charger):
    from tests.ocpp_rpc import strict_charger

    open_session(charger)
    with strict_charger(server.ws, "CP-1") as cp:
        cp.respond("Reset", {"status": "Accepted"}, delay_ms=2500)

        async def scenario(page):
            questions = []
            answers = iter([False, True])  # the operator first thinks better of it, then confirms

            async def on_dialog(dialog):
                questions.append(dialog.message)
                await (dialog.accept() if next(answers) else dialog.dismiss())

            page.on("dialog", on_dialog)
            await log_in(page, server, f"/admin/chargers/charger/{charger.pk}/command/reset/")
            await page.select_option("#id_type", "Hard")
            submit = page.locator("#command-form input[type=submit]")
            await submit.click()
            assert len(questions) == 1 and "hard reset reboots CP-1" in questions[0]
            assert "1 session in progress" in questions[0]
            assert await submit.is_enabled() and await page.locator(".cs-progress").count() == 0

            # The page waits 2.5 s for the answer; what it shows meanwhile is noted where the next page reads it.
            await page.evaluate("""() => new MutationObserver(() => {
                const sign = document.querySelector(".cs-progress");
                const button = document.querySelector("#command-form input[type=submit]");
                if (sign) sessionStorage.setItem("meanwhile", JSON.stringify([sign.textContent, button.disabled]));
            }).observe(document.body, {subtree: true, childList: true})""")  # fmt: skip
            await submit.click()
            await page.locator('#command-result [data-outcome="answered"]').wait_for()
            text, disabled = json.loads(await page.evaluate("sessionStorage.getItem('meanwhile')"))
            assert "waiting for the charger's answer" in text and disabled
            assert await page.locator("#command-form input[type=submit]").is_enabled()

        in_browser(scenario)
        assert cp.next_call()["payload"] == {"type": "Hard"}
        assert cp.calls.empty()  # the dismissed one was never sent


def test_a_diagnostics_job_said_uploaded_with_no_file_shows_it_and_offers_a_retry(server, operator, charger):
    from chargers.models import DiagnosticsJob

    DiagnosticsJob.objects.create(charger=charger, location="http://csms.example/diagnostics/1/", status="Uploaded",
                                  file_name="diag.zip", upload_token_digest="digest")  # fmt: skip

    async def scenario(page):
        await log_in(page, server, "/admin/chargers/diagnosticsjob/")
        row = page.locator("#result_list tbody tr").first
        assert "reports Uploaded, but no file arrived" in await row.inner_text()
        await row.get_by_role("link", name="Retry…").click()
        await page.wait_for_selector('.cs-command[data-command="diagnostics"]')
        assert page.url.endswith(f"/admin/chargers/charger/{charger.pk}/command/diagnostics/")

    in_browser(scenario)


@pytest.mark.node
def test_a_2_0_1_chargers_configuration_page_shows_its_device_model_and_sets_and_reports(server, operator, charger):
    from chargers.models import DeviceVariable
    from tests.ocpp_rpc import strict_charger

    for variable, value, mutability in (("HeartbeatInterval", "300", "ReadWrite"), ("NetworkProfileConnectionAttempts",
                                        "3", "ReadOnly")):  # fmt: skip
        DeviceVariable.objects.create(charger=charger, component="OCPPCommCtrlr", variable=variable, value=value,
                                      mutability=mutability)  # fmt: skip
    with strict_charger(server.ws, "CP-1", protocol="ocpp2.0.1") as cp:
        cp.respond("SetVariables", {"setVariableResult": [{"attributeStatus": "Accepted", "component": {
            "name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})  # fmt: skip
        cp.respond("GetBaseReport", {"status": "Accepted"})

        async def scenario(page):
            await log_in(page, server, f"/admin/chargers/charger/{charger.pk}/change/")
            buttons = await page.locator("#commands a").all_inner_texts()
            assert {"Get base report", "Get report", "Set monitoring", "Clear monitoring"} <= set(buttons)
            await page.click("#configuration-link")
            row = page.locator('#configuration tr[data-key="OCPPCommCtrlr.HeartbeatInterval"]')
            await row.wait_for()
            assert await page.locator("#configuration-error").count() == 0
            assert (
                await page.locator('tr[data-key="OCPPCommCtrlr.NetworkProfileConnectionAttempts"] input').count() == 0
            )
            await row.locator("input[name=value]").fill("600")
            await row.get_by_role("button", name="Save").click()
            await page.wait_for_selector('#command-result [data-outcome="answered"]')
            assert "600" in await page.input_value('tr[data-key="OCPPCommCtrlr.HeartbeatInterval"] input[name=value]')
            await page.get_by_role("button", name="Get base report").click()
            await page.wait_for_selector('#command-result [data-outcome="answered"]')
            assert "accepted" in await page.inner_text("#command-result")

        in_browser(scenario)
        calls = [cp.next_call() for _ in range(2)]
    assert [c["action"] for c in calls] == ["SetVariables", "GetBaseReport"]
    assert calls[1]["payload"]["reportBase"] == "ConfigurationInventory"


@pytest.mark.node
def test_an_open_sessions_energy_power_and_time_so_far_show_and_follow_live(server, operator, charger):
    from charging.models import IdTag, Transaction
    from tests.ocpp_rpc import strict_charger
    from tests.test_admin_commands import charge, meter

    IdTag.objects.create(organisation=charger.organisation, id_tag="DRIVER-7")
    with strict_charger(server.ws, "CP-1") as cp:
        transaction_id = charge(cp, stop=False)  # 10 kWh so far, 12 kW at the last reading
        session = Transaction.objects.get()
        energy = f'[data-live-session="{session.pk}"][data-figure="energy"]'
        elapsed = f'[data-live-session="{session.pk}"][data-figure="elapsed"]'

        async def scenario(page):
            await log_in(page, server, "/admin/charging/transaction/")
            assert await page.inner_text(energy) == "10.00"
            first = await page.inner_text(elapsed)
            await page.wait_for_function(f"document.querySelector('{elapsed}').textContent !== '{first}'")
            await asyncio.to_thread(cp.call, "MeterValues", {"connectorId": 1, "transactionId": transaction_id,
                                    "meterValue": [meter("2026-03-01T11:15:00Z", 13000, 7400)]})  # fmt: skip
            await page.wait_for_function(f"document.querySelector('{energy}').textContent === '12.00'")

            await page.goto(f"{server.http}/admin/charging/transaction/{session.pk}/change/")
            assert await page.inner_text(".field-energy_kwh .readonly") == "12.00"
            assert await page.inner_text(".field-power_kw .readonly") == "7.4"

            await page.goto(f"{server.http}/admin/chargers/charger/{charger.pk}/change/")
            row = await page.inner_text(f'#open-transactions tr[data-transaction="{transaction_id}"]')
            assert "12.00" in row and "7.4" in row

            export = await page.request.get(f"{server.http}/admin/charging/transaction/export.csv?open=yes")
            assert (await export.text()).splitlines()[1].split(",")[9] == "12.000"

        in_browser(scenario)


def test_the_admin_index_is_grouped_by_operator_task(server, operator):
    async def scenario(page):
        await log_in(page, server)
        captions = await page.locator("#content-main .module caption").all_text_contents()
        assert [c.strip() for c in captions] == ["Fleet", "Sessions", "Commands", "Integrations", "Access"]
        access = await page.locator("#content-main .module.app-access").inner_text()
        assert "Groups" in access and "Users" in access and "API keys" in access
        assert "Chargers" in await page.locator("#content-main .module.app-fleet").inner_text()

    in_browser(scenario)


def test_the_console_reads_plainly_headings_answers_last_seen_newest_first_no_red_crosses_a_favicon(
    server, operator, charger
):
    import re

    from charging.models import MeterValue
    from commands.models import Command

    type(charger).objects.filter(pk=charger.pk).update(last_seen_at=timezone.now(), last_heartbeat_at=None)
    keys = [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}] * 2
    Command.objects.create(organisation=charger.organisation, charger=charger, action="GetConfiguration", request={},
                           response={"configurationKey": keys, "unknownKey": []}, status="answered")  # fmt: skip
    session = open_session(charger)
    for minute, wh in ((1, 1100), (2, 1200)):
        MeterValue.objects.create(charger=charger, transaction=session, connector_id=1, value=str(wh), numeric=wh,
                                  measurand="Energy.Active.Import.Register", unit="Wh",
                                  timestamp=session.start_time + timedelta(minutes=minute))  # fmt: skip

    async def scenario(page):
        await log_in(page, server, "/admin/chargers/charger/")
        assert "LAST SEEN" in (await page.inner_text("#result_list thead")).upper()
        assert re.fullmatch(SECONDS, (await page.inner_text("#result_list td.field-last_seen")).strip())
        icon = await page.get_attribute("link[rel=icon]", "href")
        assert (await page.request.get(f"{server.http}{icon}")).ok

        await page.goto(f"{server.http}/admin/chargers/charger/{charger.pk}/change/")
        answer = await page.inner_text("#recent-commands tbody tr")
        assert "2 configurationKey" in answer and "{" not in answer
        assert re.match(SECONDS, answer)  # times in the console's one format, not ISO

        await page.goto(f"{server.http}/admin/charging/transaction/{session.pk}/change/")
        assert re.search(rf"CP-1 connector 1, {SECONDS}", await page.inner_text("#content"))
        crosses = page.locator('img[src$="/icon-no.svg"]')
        assert await crosses.count() > 0  # offline, suspect, closed by hand: all false
        assert "grayscale" in await crosses.first.evaluate("node => getComputedStyle(node).filter")

        await page.goto(f"{server.http}/admin/charging/metervalue/")
        assert [v.strip() for v in await page.locator("#result_list td.field-value").all_inner_texts()] == [
            "1200", "1100"]  # fmt: skip

    in_browser(scenario)


def a_busy_fleet(acme):
    """Chargers with long names, two connectors each, sessions and a finished one: what fills the lists."""
    from chargers.services.registry import charger_register
    from chargers.services.reports import status_record

    chargers = []
    for n in range(1, 7):
        name = f"Depot North bay {n} by the loading dock"
        charger = charger_register(organisation=acme, charge_box_id=f"ACME-DEPOT-NORTH-{n:03d}", name=name)
        type(charger).objects.filter(pk=charger.pk).update(
            vendor="Alfen", model="Eve Double Pro-line 3-phase", firmware_version="6.4.0-4210",
            last_seen_at=timezone.now(), channel_name=f"test-{n}",
        )  # fmt: skip
        for connector in (1, 2):
            status_record(charger_id=charger.pk, connector_id=connector, status="SuspendedEVSE", error_code="NoError")
        open_session(charger, ocpp_id=f"{1854028757 + n}", stop_reason="", id_tag_status="Accepted")
        chargers.append(charger)
    return chargers


async def scrolls_sideways(page, boxes: str = ".results, .module") -> bool:
    """The page, or a box in it (the admin's lists scroll within theirs), is wider than it shows."""
    return await page.evaluate("""boxes => [document.documentElement, ...document.querySelectorAll(boxes)]
        .some(box => box.scrollWidth > box.clientWidth + 1)""", boxes)  # fmt: skip


@pytest.mark.node
def test_the_lists_and_the_configuration_page_fit_1440_px_with_the_sidebar_open(server, operator, acme):
    from tests.ocpp_rpc import strict_charger

    chargers = a_busy_fleet(acme)
    keys = [{"key": "MeterValuesSampledDataForTheVendorsOwnReports", "readonly": True,
             "value": ",".join(["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import"] * 6)},
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"}]  # fmt: skip
    with strict_charger(server.ws, chargers[0].charge_box_id) as cp:
        cp.respond("GetConfiguration", {"configurationKey": keys})

        async def scenario(page):
            await page.set_viewport_size({"width": 1440, "height": 900})
            await log_in(page, server, "/admin/chargers/charger/")
            assert await page.locator("#nav-sidebar").is_visible()
            assert not await scrolls_sideways(page), "charger list"
            await page.goto(f"{server.http}/admin/charging/transaction/")
            assert not await scrolls_sideways(page), "transaction list"
            await page.goto(f"{server.http}/admin/chargers/charger/{chargers[0].pk}/configuration/")
            await page.locator("#configuration").wait_for()
            assert not await scrolls_sideways(page), "configuration page"

        in_browser(scenario)


def test_on_a_390_px_phone_the_lists_and_the_charger_page_show_their_connectors_and_the_dashboard_its_summary(
    server, operator, acme
):
    chargers = a_busy_fleet(acme)

    async def pills_in_view(page) -> bool:
        return await page.evaluate("""() => [...document.querySelectorAll(".cs-pill")].slice(0, 4).every(pill => {
            const box = pill.getBoundingClientRect();
            return box.width > 0 && box.right <= document.documentElement.clientWidth;
        })""")  # fmt: skip

    async def scenario(page):
        await page.set_viewport_size({"width": 390, "height": 844})
        await log_in(page, server, "/admin/chargers/charger/")
        assert await pills_in_view(page), "charger list"
        await page.goto(f"{server.http}/admin/chargers/charger/{chargers[0].pk}/change/")
        assert await pills_in_view(page), "charger page"
        assert not await scrolls_sideways(page, "body"), "charger page"  # wide tables scroll in their boxes
        await page.goto(f"{server.http}/dashboard/")
        bottom = await page.evaluate("document.querySelector('.cs-counts').getBoundingClientRect().bottom")
        assert bottom <= 844, "the dashboard's summary is below the fold"

    in_browser(scenario)
