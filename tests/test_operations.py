"""Probes, metrics and JSON logs, as an operator's load balancer, Prometheus and log shipper see them."""

import asyncio
import json
import subprocess
import sys

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from commands.models import Command
from tests.conftest import ROOT, database_url, start_server
from tests.raw_charger import RawCharger

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "One"}


def scrape(base: str, **headers) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics: {(name, sorted labels): value}."""
    response = requests.get(f"{base}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def broken_database_server(django_db_setup, tmp_path_factory):
    """A node whose database cannot be opened (a file in a directory that does not exist)."""
    live = start_server(
        tmp_path_factory.mktemp("broken-db"),
        DATABASE_URL="sqlite:////nonexistent-directory/csms.sqlite3",
        REDIS_URL="",
        CSMS_EMBEDDED_BEAT="false",
    )
    yield live
    live.stop()


def test_healthz_answers_ok_without_auth(server):
    response = requests.get(f"{server.http}/healthz", timeout=5)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_answers_ok_when_the_database_and_channel_layer_answer(server, transactional_db):
    response = requests.get(f"{server.http}/readyz", timeout=5)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_healthz_needs_no_database_but_readyz_names_it(broken_database_server):
    assert requests.get(f"{broken_database_server.http}/healthz", timeout=5).status_code == 200
    response = requests.get(f"{broken_database_server.http}/readyz", timeout=5)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert list(body["failed"]) == ["database"]
    assert "unable to open database file" in body["failed"]["database"]


def test_probes_write_no_log_line(broken_database_server):
    for _ in range(10):
        requests.get(f"{broken_database_server.http}/readyz", timeout=5)
        requests.get(f"{broken_database_server.http}/healthz", timeout=5)
    assert "readyz" not in broken_database_server.log.read_text()
    assert "healthz" not in broken_database_server.log.read_text()


def test_readyz_names_a_channel_layer_that_does_not_round_trip(transactional_db, tmp_path):
    # Redis on a port where nothing listens: the database answers, the channel layer does not.
    live = start_server(tmp_path, REDIS_URL="redis://127.0.0.1:1/0", CSMS_EMBEDDED_BEAT="false")
    try:
        response = requests.get(f"{live.http}/readyz", timeout=10)
    finally:
        live.stop()
    assert response.status_code == 503
    assert list(response.json()["failed"]) == ["channelLayer"]


def test_metrics_count_connections_frames_callerrors_and_commands(server, api, charger):
    before = scrape(server.http)

    async def session():
        async with await RawCharger.connect(server.ws, "CP-1") as cp:
            assert (await cp.call("BootNotification", BOOT))[0] == 3
            assert (await cp.call("Heartbeat", {}))[0] == 3
            assert (await cp.call("Heartbeat", {"extra": 1}))[2] == "FormationViolation"
            during = scrape(server.http)
            reply = asyncio.get_running_loop().run_in_executor(
                None, lambda: api.post(f"{api.base}/chargers/CP-1/reset", json={"type": "Soft"})
            )
            call = await cp.recv()
            await cp.send_raw(json.dumps([3, call[1], {"status": "Accepted"}]))
            assert (await reply).status_code == 200
            return during

    during = asyncio.run(session())

    def grew(samples, name, **labels):
        return value(samples, name, **labels) - value(before, name, **labels)

    assert grew(during, "csms_chargers_connected", protocol="ocpp1.6") == 1
    frames = "csms_ocpp_frames_total"
    assert grew(during, frames, direction="in", type="call", action="BootNotification", version="1.6") == 1
    assert grew(during, frames, direction="in", type="call", action="Heartbeat", version="1.6") == 2
    assert grew(during, frames, direction="out", type="result", action="Heartbeat", version="1.6") == 1
    assert grew(during, frames, direction="out", type="error", action="Heartbeat", version="1.6") == 1
    assert grew(during, "csms_ocpp_callerrors_total", direction="out", code="FormationViolation") == 1
    assert grew(during, "csms_ocpp_frame_handling_seconds_count", action="Heartbeat") == 2

    after = scrape(server.http)
    assert grew(after, frames, direction="out", type="call", action="Reset", version="1.6") == 1
    assert grew(after, frames, direction="in", type="result", action="Reset", version="1.6") == 1
    assert grew(after, "csms_commands_total", action="Reset", outcome="answered") == 1
    assert grew(after, "csms_command_seconds_count", action="Reset") == 1
    assert grew(after, "csms_command_bus_round_trip_seconds_count") >= 1
    assert grew(after, "csms_websocket_closes_total", code="1000") == 1
    assert grew(after, "csms_chargers_connected", protocol="ocpp1.6") == 0
    assert grew(after, "csms_db_batch_size_count", queue="frames") >= 3
    assert grew(after, "csms_db_commit_seconds_count") >= 3
    assert ("csms_open_transactions", ()) in after
    assert ("csms_db_frames_queued", ()) in after


def test_a_command_to_an_offline_charger_is_counted_as_such(server, api, charger):
    before = scrape(server.http)
    assert api.post(f"{api.base}/chargers/CP-1/reset", json={"type": "Soft"}).status_code == 422
    after = scrape(server.http)
    labels = {"action": "Reset", "outcome": "charge_point_offline"}
    assert value(after, "csms_commands_total", **labels) - value(before, "csms_commands_total", **labels) == 1


def test_metrics_ask_for_the_bearer_token_when_one_is_set(transactional_db, tmp_path):
    live = start_server(tmp_path, CSMS_METRICS_TOKEN="scrape-me", CSMS_EMBEDDED_BEAT="false")
    try:
        refused = requests.get(f"{live.http}/metrics", timeout=5)
        wrong = requests.get(f"{live.http}/metrics", headers={"Authorization": "Bearer nope"}, timeout=5)
        samples = scrape(live.http, Authorization="Bearer scrape-me")
    finally:
        live.stop()
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "unauthorized")
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert wrong.status_code == 401
    assert ("csms_open_transactions", ()) in samples


def test_multiprocess_mode_serves_what_the_processes_of_the_directory_counted(transactional_db, tmp_path, charger):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    live = start_server(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(directory), CSMS_EMBEDDED_BEAT="false")
    try:

        async def session():
            async with await RawCharger.connect(live.ws, "CP-1") as cp:
                await cp.call("Heartbeat", {})
                return scrape(live.http), (directory / f"gauge_livesum_{live.process.pid}.db").exists()

        samples, counted_live = asyncio.run(session())
    finally:
        live.stop()
    assert any(path.suffix == ".db" for path in directory.iterdir())  # the counts live in the shared directory
    # A node that stopped leaves the machine's count of connected chargers.
    assert counted_live and not (directory / f"gauge_livesum_{live.process.pid}.db").exists()
    labels = {"direction": "in", "type": "call", "action": "Heartbeat", "version": "1.6"}
    assert value(samples, "csms_ocpp_frames_total", **labels) == 1
    assert value(samples, "csms_chargers_connected", protocol="ocpp1.6") == 1


def test_json_logs_name_the_charger_and_the_command(transactional_db, tmp_path, acme_key, charger):
    live = start_server(tmp_path, LOG_FORMAT="json", CSMS_EMBEDDED_BEAT="false", CSMS_COMMAND_TIMEOUT="1")
    try:

        async def session():
            async with await RawCharger.connect(live.ws, "CP-1") as cp:
                await cp.call("BootNotification", BOOT)
                reply = await asyncio.get_running_loop().run_in_executor(
                    None,
                    lambda: requests.post(
                        f"{live.http}/api/v1/chargers/CP-1/reset", json={"type": "Soft"},
                        headers={"X-API-Key": acme_key}, timeout=10,
                    ),
                )  # fmt: skip
                return reply

        reply = asyncio.run(session())
    finally:
        live.stop()
    assert reply.status_code == 408  # the charger never answered: the consumer logs nothing, the bus times out
    lines = [json.loads(line) for line in live.log.read_text().splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    connected = [line for line in lines if line["message"].startswith("connected CP-1")]
    assert connected and connected[0]["chargeBoxId"] == "CP-1"
    unanswered = [line for line in lines if line["message"] == "Reset to CP-1: no answer within 1 s"]
    assert unanswered and unanswered[0]["chargeBoxId"] == "CP-1"
    command_id = str(Command.objects.get(action="Reset").pk)
    assert unanswered[0]["commandId"] == unanswered[0]["messageId"] == command_id


def test_a_log_format_that_does_not_exist_stops_the_server(transactional_db, tmp_path):
    with pytest.raises(RuntimeError, match="LOG_FORMAT must be plain or json, not 'xml'"):
        start_server(tmp_path, LOG_FORMAT="xml")


def test_the_grafana_dashboard_charts_only_metrics_the_product_serves():
    import re

    from prometheus_client import REGISTRY

    from csms import metrics
    from ocpp_ws import consumer  # noqa: F401  (defines the frame and write-behind queues' metrics)

    served = {family.name for family in REGISTRY.collect()} | set(metrics._read_at_scrape)
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    charted = {
        re.sub(r"_(bucket|sum|count|total)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bcsms_\w+", target["expr"])
    }
    assert len(charted) >= 15
    assert charted <= served, charted - served


def test_metrics_during_a_bench_run_show_the_figures_the_bench_measures(transactional_db, tmp_path):
    live = start_server(tmp_path, CSMS_EMBEDDED_BEAT="false")
    try:
        before = scrape(live.http)
        run = subprocess.run(
            [sys.executable, "bench/load.py", "--url", live.ws, "--register", "--prefix", "GAUGE", "--chargers", "20",
             "--rate", "40", "--duration", "4", "--ramp", "1", "--settle", "1", "--call-timeout", "10"],
            cwd=ROOT, env={"DATABASE_URL": database_url(), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        after = scrape(live.http)
    finally:
        live.stop()
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.split("RESULT ", 1)[1])

    def frames(direction: str, kind: str) -> float:
        """Frames of every action that crossed the sockets during the run."""

        def total(samples):
            return sum(count for (name, labels), count in samples.items() if name == "csms_ocpp_frames_total"
                       and ("direction", direction) in labels and ("type", kind) in labels)  # fmt: skip

        return total(after) - total(before)

    assert result["acked"] > 100
    assert abs(frames("in", "call") - result["sent"]) <= 0.05 * result["sent"]
    assert abs(frames("out", "result") - result["acked"]) <= 0.05 * result["acked"]
