"""What one HTTP request costs the server: milliseconds of its CPU per request, path by path.

Starts two daphne processes: the product (csms.asgi, on DATABASE_URL when it is set, else an
embedded SQLite database in var/) and a bare ASGI application that answers every request with a
fixed JSON body, the floor under any application daphne serves. Connects a few OCPP 1.6 chargers
that answer every command Accepted, so that the product's commands get their answer. Then, round
after round, sends each probe in turn at --rate requests a second for --duration seconds over
keep-alive connections, and reads the server's CPU (user + system, from /proc) before and after.
The product runs without its embedded periodic sweeps (CSMS_EMBEDDED_BEAT=0), as a server
process does in deployment, where Celery runs them.

Probes:
    bare      GET /                      the bare application (daphne and Twisted alone)
    healthz   GET /healthz               the product: Django, no database, no authentication
    read      GET /api/v1/chargers/{id}  an API key's read of one charger
    command   POST /api/v1/chargers/{id}/reset {"type": "Soft"}: the request, the key, the
              command's row, the bus, the charger's answer and the row's update

Output: a table of ms of server CPU per request (the server's CPU while idle, measured in each
round, taken off first) and latency p50/p99 by probe and round, and one JSON line per
round and probe (prefix "RESULT "; appended to --json-out when given).

Examples:
    python bench/http_cost.py                        # embedded SQLite, three rounds
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csms_bench python bench/http_cost.py --runs 3
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (bench/load.py: registration, API key, HTTP client, /proc and percentiles)

DAPHNE = str(load.ROOT / ".venv" / "bin" / "daphne")
PREFIX = "HTTPCOST"


async def bare_application(scope, receive, send):
    """The floor: every request answered with the same small JSON body, nothing else done."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})


async def charger(url: str, cbid: str, stop: asyncio.Event) -> None:
    """An OCPP 1.6 charger that boots and answers every CALL with status Accepted."""
    async with websockets.connect(f"{url}/{cbid}", subprotocols=["ocpp1.6"]) as ws:
        boot = {"chargePointVendor": "Bench", "chargePointModel": "HttpCost"}
        await ws.send(json.dumps([2, "boot", "BootNotification", boot]))
        while not stop.is_set():
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            except TimeoutError:
                continue
            if frame[0] == 2:
                await ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))


async def probe(port: int, method: str, paths: list[str], headers: dict, body: bytes, rate: float, seconds: float):
    """Requests at `rate` a second for `seconds`, each to the next of `paths`: their latencies and statuses."""
    idle = [load.HttpConnection("127.0.0.1", port) for _ in range(16)]
    latencies, statuses, tasks = [], {}, []

    async def one(http, path):
        started = time.perf_counter()
        try:
            status, _ = await http.request(method, path, headers, body)
        except Exception:
            http.close()
            status = "failed"
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        idle.append(http)

    start, sent = time.monotonic(), 0
    while (elapsed := time.monotonic() - start) < seconds:
        for _ in range(int(elapsed * rate) - sent):
            sent += 1
            if idle:
                tasks.append(asyncio.ensure_future(one(idle.pop(), paths[sent % len(paths)])))
            else:
                statuses["missed"] = statuses.get("missed", 0) + 1
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks)
    for http in idle:
        http.close()
    return latencies, statuses


async def measure(args, pids: dict, key: str) -> list[dict]:
    await load.wait_listening(args.port)
    await load.wait_listening(args.port + 1)
    stop = asyncio.Event()
    ws_url = f"ws://127.0.0.1:{args.port}/ocpp"
    cbids = [load.charge_box_id(PREFIX, n) for n in range(args.chargers)]
    chargers = [asyncio.ensure_future(charger(ws_url, cbid, stop)) for cbid in cbids]
    await asyncio.sleep(2)
    auth = {"X-API-Key": key}
    probes = {
        "bare": (args.port + 1, "GET", ["/"], {}, b""),
        "healthz": (args.port, "GET", ["/healthz"], {}, b""),
        "read": (args.port, "GET", [f"/api/v1/chargers/{c}" for c in cbids], auth, b""),
        "command": (args.port, "POST", [f"/api/v1/chargers/{c}/reset" for c in cbids], auth, b'{"type":"Soft"}'),
    }
    chosen = [name for name in probes if name in args.probes]
    for name in chosen:  # warm up: first requests load code and fill caches
        port, method, paths, headers, body = probes[name]
        await probe(port, method, paths, headers, body, args.rate, 2)
    results = []
    for run in range(1, args.runs + 1):
        await asyncio.sleep(1)
        idle_from = load.cpu_seconds(pids["product"])
        await asyncio.sleep(args.duration)
        idle_per_second = (load.cpu_seconds(pids["product"]) - idle_from) / args.duration
        for name in chosen:
            port, method, paths, headers, body = probes[name]
            pid = pids["bare" if name == "bare" else "product"]
            cpu_from, started = load.cpu_seconds(pid), time.monotonic()
            latencies, statuses = await probe(port, method, paths, headers, body, args.rate, args.duration)
            idle = 0 if name == "bare" else idle_per_second * (time.monotonic() - started)
            cpu = load.cpu_seconds(pid) - cpu_from - idle
            latency = load.percentiles(latencies)
            results.append({
                "probe": name, "run": run, "requests": len(latencies), "statuses": statuses,
                "server_cpu_ms_per_request": round(1000 * cpu / max(len(latencies), 1), 2),
                "server_idle_cpu_percent": round(100 * idle_per_second, 2),
                "p50_ms": latency.get("p50"), "p99_ms": latency.get("p99"),
                "database": "postgres" if os.environ["DATABASE_URL"].startswith("postgres") else "sqlite",
                "rate": args.rate, "duration_s": args.duration, "loadavg_before": LOADAVG_BEFORE,
            })  # fmt: skip
    stop.set()
    await asyncio.gather(*chargers, return_exceptions=True)
    return results


def main(argv=None) -> None:
    global LOADAVG_BEFORE
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--rate", type=float, default=100, help="requests a second per probe (default 100)")
    parser.add_argument("--duration", type=float, default=20, help="seconds per probe and round (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="rounds of every probe (default 3)")
    parser.add_argument("--chargers", type=int, default=20, help="chargers the commands are spread over (default 20)")
    parser.add_argument("--probes", default="bare,healthz,read,command", help="comma-separated (default: all four)")
    parser.add_argument("--port", type=int, default=8820, help="the product's port; the bare one is PORT+1")
    parser.add_argument("--json-out", help="append the JSON result lines to this file")
    args = parser.parse_args(argv)
    args.probes = args.probes.split(",")
    LOADAVG_BEFORE = round(os.getloadavg()[0], 2)
    (load.ROOT / "var").mkdir(exist_ok=True)
    if not os.environ.get("DATABASE_URL"):
        database = load.ROOT / "var" / "http-cost.sqlite3"
        for path in load.ROOT.glob("var/http-cost.sqlite3*"):
            path.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("REDIS_URL", None)  # one process: the in-memory channel layer
    # The embedded default runs the periodic sweeps in the server process, every minute; a sweep that
    # falls into a probe's window would be counted as its requests' (a deployment runs them in Celery).
    os.environ["CSMS_EMBEDDED_BEAT"] = "0"
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=load.ROOT, check=True)
    load.register(PREFIX, "http-cost", args.chargers)
    key = load.create_api_key("http-cost")
    from django.db import connection

    connection.close()
    logs = {name: open(load.ROOT / "var" / f"http-cost-{name}.log", "w") for name in ("product", "bare")}
    servers = {
        "product": subprocess.Popen([DAPHNE, "-b", "127.0.0.1", "-p", str(args.port), "csms.asgi:application"],
                                    cwd=load.ROOT, stdout=logs["product"], stderr=subprocess.STDOUT),
        "bare": subprocess.Popen([DAPHNE, "-b", "127.0.0.1", "-p", str(args.port + 1), "http_cost:bare_application"],
                                 cwd=load.ROOT / "bench", stdout=logs["bare"], stderr=subprocess.STDOUT),
    }  # fmt: skip
    try:
        results = asyncio.run(measure(args, {name: server.pid for name, server in servers.items()}, key))
    finally:
        for server in servers.values():
            server.terminate()
            server.wait()
    print(f"{'probe':<10}{'run':>4}{'requests':>10}{'ms CPU/request':>16}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    for r in results:
        print(f"{r['probe']:<10}{r['run']:>4}{r['requests']:>10}{r['server_cpu_ms_per_request']:>16}"
              f"{r['p50_ms']:>9}{r['p99_ms']:>9}  {r['statuses']}")  # fmt: skip
    for r in results:
        line = json.dumps(r, separators=(",", ":"))
        print("RESULT " + line)
        if args.json_out:
            with open(args.json_out, "a") as out:
                out.write(line + "\n")


LOADAVG_BEFORE = 0.0

if __name__ == "__main__":
    main()
