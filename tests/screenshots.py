"""Screenshots of the operator console for docs/: `python -m tests.screenshots [docs]`.

Builds a throwaway database, starts a server, connects a small fleet of test chargers
that boot, report statuses and charge, and photographs the pages in headless Chromium.
"""

import asyncio
import os
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="csms-screenshots-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'db.sqlite3'}"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.services import organisation_get_or_create  # noqa: E402
from chargers.services.registry import charger_register, unknown_charger_seen  # noqa: E402
from charging.models import IdTag  # noqa: E402
from simulator.v16 import SimulatedCharger  # noqa: E402
from tests.conftest import start_server  # noqa: E402
from tests.raw_charger import RawCharger  # noqa: E402
from tests.test_console_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PASSWORD = "screenshot-password"
MODELS = [("Alfen", "Eve Double Pro", "6.4.0"), ("ABB", "Terra AC W22", "1.8.33"), ("Wallbox", "Commander 2", "5.17.2")]
SITES = ["Depot North", "Harbour car park", "Office garage", "Retail park"]
# chargeBoxId -> statuses of connectors 1..n; None: the charger stays offline.
FLEET = {
    "ACME-001": ["Charging", "Available"],
    "ACME-002": ["Available", "Available"],
    "ACME-003": ["Charging", "Charging"],
    "ACME-004": ["Preparing", "Available"],
    "ACME-005": ["Faulted", "Charging"],
    "ACME-006": ["SuspendedEV", "Finishing"],
    "ACME-007": None,
    "ACME-008": ["Available", "Reserved"],
    "ACME-009": ["Unavailable", "Available"],
    "ACME-010": ["Charging", "Available"],
    "ACME-011": None,
    "ACME-012": ["Available", "Charging"],
}


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


SIMULATED = "SIM-001"


def populate() -> None:
    call_command("migrate", verbosity=0)
    User.objects.create_superuser("operator", "operator@example.com", PASSWORD)
    acme = organisation_get_or_create(name="Acme Charging")
    IdTag.objects.create(organisation=acme, id_tag="RFID-0001", max_active_transactions=10)
    for i, charge_box_id in enumerate(FLEET):
        charger_register(organisation=acme, charge_box_id=charge_box_id, name=f"Bay {i + 1}", location=SITES[i % 4])
    charger_register(organisation=acme, charge_box_id=SIMULATED, name="Simulator", location=SITES[0])
    unknown_charger_seen(charge_box_id="NEW-CHARGER-42", remote_address="10.20.0.42")


async def run_charger(server, index: int, charge_box_id: str, statuses: list[str], ready: asyncio.Event):
    cp = await RawCharger.connect(server.ws, charge_box_id)
    vendor, model, firmware = MODELS[index % len(MODELS)]
    await cp.call(
        "BootNotification",
        {"chargePointVendor": vendor, "chargePointModel": model, "firmwareVersion": firmware},
    )
    await cp.call("Heartbeat", {})
    await cp.call("StatusNotification", {"connectorId": 0, "status": "Available", "errorCode": "NoError"})
    for connector_id, status in enumerate(statuses, start=1):
        if status == "Charging":
            meter_start = random.randint(10_000, 90_000)
            started = await cp.call(
                "StartTransaction",
                {
                    "connectorId": connector_id,
                    "idTag": "RFID-0001",
                    "meterStart": meter_start,
                    "timestamp": iso(datetime.now(UTC) - timedelta(minutes=random.randint(20, 90))),
                },
            )
            transaction_id = started[2]["transactionId"]
            energy = {"value": str(meter_start + random.randint(4_000, 30_000)), "unit": "Wh"}
            power = {"value": f"{random.uniform(6, 22):.1f}", "measurand": "Power.Active.Import", "unit": "kW"}
            await cp.call(
                "MeterValues",
                {
                    "connectorId": connector_id,
                    "transactionId": transaction_id,
                    "meterValue": [{"timestamp": now(), "sampledValue": [energy, power]}],
                },
            )
        error = "GroundFailure" if status == "Faulted" else "NoError"
        await cp.call("StatusNotification", {"connectorId": connector_id, "status": status, "errorCode": error})
    ready.set()
    return cp


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def finished_session(server) -> int:
    """One session that ended today, metered every 5 minutes: the energy figure and the transaction chart."""
    async with await RawCharger.connect(server.ws, "ACME-002") as cp:
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        started = await cp.call(
            "StartTransaction", {"connectorId": 1, "idTag": "RFID-0001", "meterStart": 1_000, "timestamp": iso(start)}
        )
        transaction_id = started[2]["transactionId"]
        wh = 1_000.0
        for step in range(1, 25):
            # Full power, then the battery tapers off in the last half hour.
            kw = 22.0 if step <= 16 else max(2.0, 22.0 - (step - 16) * 2.6)
            kw += random.uniform(-0.6, 0.6)
            wh += kw * 1000 / 12
            sampled = [
                {"value": f"{wh:.0f}", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": f"{kw:.2f}", "measurand": "Power.Active.Import", "unit": "kW"},
            ]
            at = iso(start + timedelta(minutes=5 * step))
            await cp.call(
                "MeterValues",
                {"connectorId": 1, "transactionId": transaction_id,
                 "meterValue": [{"timestamp": at, "sampledValue": sampled}]},
            )  # fmt: skip
        await cp.call(
            "StopTransaction",
            {"transactionId": transaction_id, "meterStop": round(wh), "timestamp": iso(start + timedelta(hours=2)),
             "reason": "EVDisconnected"},
        )  # fmt: skip
        return transaction_id


async def photograph(server, docs: Path) -> None:
    from playwright.async_api import async_playwright

    transaction_id = await finished_session(server)
    simulated = SimulatedCharger(SIMULATED, url=server.ws, connectors=2)
    await simulated.start()
    chargers = []
    for index, (charge_box_id, statuses) in enumerate(FLEET.items()):
        if statuses is not None:
            chargers.append(await run_charger(server, index, charge_box_id, statuses, asyncio.Event()))
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = await browser.new_page(viewport={"width": 1440, "height": 900})
        await page.goto(f"{server.http}/admin/login/?next=/dashboard/")
        await page.fill("#id_username", "operator")
        await page.fill("#id_password", PASSWORD)
        await page.click("input[type=submit]")
        await page.wait_for_selector('#live-state[data-state="live"]')
        await asyncio.sleep(0.5)
        await page.screenshot(path=docs / "dashboard.png", full_page=True)
        # The lists fit beside the admin's navigation sidebar, open.
        await page.goto(f"{server.http}/admin/chargers/charger/")
        await page.screenshot(path=docs / "charger-list.png", full_page=True)
        await page.get_by_role("link", name="ACME-005").click()
        await page.wait_for_selector("#status-notifications")
        await page.screenshot(path=docs / "charger-page.png", full_page=True)
        # A simulated charger answers commands: its configuration, then a reset.
        await page.goto(f"{server.http}/admin/chargers/charger/?q={SIMULATED}")
        await page.get_by_role("link", name=SIMULATED).click()
        await page.click("#configuration-link")
        row = page.locator('#configuration tr[data-key="HeartbeatInterval"]')
        await row.locator("input[name=value]").fill("600")
        await row.get_by_role("button", name="Save").click()
        await page.wait_for_selector("#command-result")
        await page.screenshot(path=docs / "configuration.png", full_page=True)
        await page.go_back()
        await page.go_back()
        await page.click('#commands a[data-command="reset"]')
        await page.select_option("#id_type", "Soft")
        await page.click("#command-form input[type=submit]")
        await page.wait_for_selector("#command-result")
        await page.screenshot(path=docs / "command-answer.png", full_page=True)
        await page.goto(f"{server.http}/admin/charging/transaction/?q={transaction_id}")
        await page.get_by_role("link", name=str(transaction_id)).click()
        await page.wait_for_selector("#transaction-chart svg")
        await page.screenshot(path=docs / "transaction-chart.png", full_page=True)
        await browser.close()
    for cp in chargers:
        await cp.close()
    await simulated.stop()


def main() -> None:
    docs = Path(sys.argv[1] if len(sys.argv) > 1 else "docs").resolve()
    docs.mkdir(exist_ok=True)
    populate()
    server = start_server(WORK)
    try:
        asyncio.run(photograph(server, docs))
    finally:
        server.stop()
    print(f"screenshots in {docs}")


if __name__ == "__main__":
    main()
