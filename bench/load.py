"""Load generator: N OCPP 1.6J chargers against a running central system.

Opens N charger connections (ramped up), boots each one (BootNotification and two
StatusNotifications), then sends a realistic session mix at a fixed total message rate:

    Authorize, StartTransaction, StatusNotification(Charging),
    MeterValues x6 with a Heartbeat after every second one, StopTransaction (with
    transactionData), StatusNotification(Available), and again.

Every charger answers CSMS-initiated CALLs (Reset, ...) at once. With --api-rate it
also drives the REST command API (POST /api/v1/chargers/{id}/reset) at that rate,
spread over the connected chargers, and times each round trip.

It reports connections held, sustained messages/s, p50/p95/p99/max latency of
charger calls, errors, server RSS (total and per connection) and CPU, its own CPU,
and, with --verify, whether every acknowledged message was persisted (rows counted in
the product's database). Output: a human summary and one JSON line (prefix "RESULT ").

The generator uses asyncio + websockets, many connections per process; --procs spreads
the chargers over several processes. Only for 127.0.0.1 and the like: every loop is
bounded by --duration and --ramp.

Examples:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csms_bench \
        python bench/load.py --register --verify --chargers 1000 --rate 1000 --server-pid 1234
    python bench/load.py --url ws://127.0.0.1:9000/ocpp --chargers 5000 --rate 1000   # bare server
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict, deque
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

# One charging session, one message per step; chargers loop over it.
SESSION = [
    "Authorize",
    "StartTransaction",
    "StatusNotification:Charging",
    "MeterValues",
    "MeterValues",
    "Heartbeat",
    "MeterValues",
    "MeterValues",
    "Heartbeat",
    "MeterValues",
    "MeterValues",
    "StopTransaction",
    "StatusNotification:Available",
]
BOOT = ["BootNotification", "StatusNotification:Available0", "StatusNotification:Available"]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def charge_box_id(prefix: str, n: int) -> str:
    return f"{prefix}-{n:06d}"


def id_tag_of(prefix: str, n: int) -> str:
    return f"{prefix}T{n:06d}"[-20:]


# ---------------------------------------------------------------------------
# The charger side (generator worker processes)


class Stats:
    def __init__(self):
        self.latency = defaultdict(list)  # action -> [ms] for steady-phase calls
        self.boot_latency = []  # ms, boot-phase calls
        self.handshake = []  # ms
        self.acked = Counter()  # action -> CALLRESULTs received
        self.acked_steady = 0  # CALLRESULTs received inside the steady window
        self.sent = Counter()
        self.callerrors = Counter()  # "Action:Code"
        self.timeouts = 0
        self.refused = 0  # handshake failed
        self.dropped = 0  # connection lost after it was open
        self.missed = 0  # messages due when no idle charger was left
        self.status_acked = 0
        self.samples_acked = 0  # sampled values in acknowledged MeterValues/StopTransaction
        self.tx_ids = set()
        self.stops_acked = 0
        self.csms_calls = Counter()  # CSMS-initiated CALLs answered, by action
        self.api_latency = []
        self.api_server_ms = []
        self.api_status = Counter()
        self.api_missed = 0
        self.slow_seconds = []  # for each steady call over --slow-ms: the second of the steady phase it was sent in
        self.timeline = []  # (sent at, ms) of every steady call, when a run needs them by time (--storm-at)
        self.rebooted = []  # wall times at which a charger that lost its connection was booted Accepted again
        self.boot_pending = 0  # BootNotifications answered Pending or Rejected (the charger tries again)
        self.deferred = 0  # handshakes denied with a Retry-After (503), after a drop (the charger comes back then)


class Charger:
    __slots__ = ("n", "cbid", "tag", "ws", "pending", "busy", "step", "tx", "meter", "alive", "reader", "seq", "answer")

    def __init__(self, n: int, prefix: str):
        self.n = n
        self.cbid = charge_box_id(prefix, n)
        self.tag = id_tag_of(prefix, n)
        self.ws = None
        self.pending: dict[str, asyncio.Future] = {}
        self.busy = True
        # Each charger is somewhere in its session when the steady phase begins, as in a real fleet;
        # in step, every charger would start its session in the same second.
        self.step = random.Random(n).randrange(len(SESSION))
        self.tx = None
        self.meter = random.randint(0, 10_000_000)
        self.alive = False
        self.reader = None
        self.seq = 0
        self.answer: dict = {}  # the payload of the last CALLRESULT


class Worker:
    """The rate-driven mix: a fixed total message rate, each message to the charger idle the longest."""

    charger_class = Charger

    def __init__(self, cfg: dict, numbers: list[int]):
        self.cfg = cfg
        self.chargers = [self.charger_class(n, cfg["prefix"]) for n in numbers]
        self.stats = Stats()
        self.idle: deque[Charger] = deque()  # connected chargers with no call outstanding, oldest first
        self.tasks: set[asyncio.Task] = set()
        self.steady_from = self.steady_to = 0.0
        self.loop: asyncio.AbstractEventLoop | None = None

    def spawn(self, coro):
        task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def at(self, wall: float) -> float:
        """A wall-clock time (shared by all processes) as this loop's time."""
        return self.loop.time() + (wall - time.time())

    async def sleep_until(self, wall: float):
        delay = wall - time.time()
        if delay > 0:
            await asyncio.sleep(delay)

    # -- one charger

    def source_address(self, c: Charger) -> tuple[str, int] | None:
        """The loopback address charger n connects from (--source-addresses): one address has
        about 28,000 ephemeral ports, so a larger fleet spreads over 127.0.0.1, 127.0.0.2, ..."""
        count = self.cfg["source_addresses"]
        if count <= 1:
            return None
        return f"127.0.0.{1 + (c.n // self.cfg['procs']) % count}", 0

    async def connect(self, c: Charger, timed: bool = True) -> bool:
        """Open the charger's WebSocket. False when the handshake failed."""
        import websockets

        started = time.perf_counter()
        try:
            c.ws = await websockets.connect(
                f"{self.cfg['urls'][c.n % len(self.cfg['urls'])]}/{c.cbid}",
                subprotocols=["ocpp1.6"],
                compression=None,  # chargers rarely negotiate permessage-deflate
                ping_interval=self.cfg["ping_interval"],
                open_timeout=self.cfg["call_timeout"],
                max_queue=16,
                local_addr=self.source_address(c),
            )
        except Exception as refusal:
            if timed:
                self.stats.refused += 1
            response = getattr(refusal, "response", None)  # a handshake denied with a status
            c.answer = {"retry_after": response.headers.get("Retry-After")} if response is not None else {}
            return False
        if timed:
            self.stats.handshake.append((time.perf_counter() - started) * 1000)
        c.alive = True
        c.reader = self.loop.create_task(self.read(c))
        return True

    async def open(self, c: Charger):
        if not await self.connect(c):
            return
        for step in BOOT:
            if not c.alive or not await self.send(c, step, phase="boot"):
                break
        c.busy = False
        self.idle.append(c)

    async def read(self, c: Charger):
        try:
            async for raw in c.ws:
                frame = json.loads(raw)
                if frame[0] == 2:  # a CSMS-initiated CALL: answer at once
                    self.stats.csms_calls[frame[2]] += 1
                    answer = {"status": "Accepted"} if frame[2] != "GetConfiguration" else {"configurationKey": []}
                    await c.ws.send(json.dumps([3, frame[1], answer]))
                    continue
                future = c.pending.pop(frame[1], None)
                if future is not None and not future.done():
                    future.set_result(frame)
        except Exception:
            pass
        if c.alive and not self.closing:
            self.stats.dropped += 1
        c.alive = False
        for future in c.pending.values():
            if not future.done():
                future.set_exception(ConnectionError("closed"))
                future.exception()  # retrieved: a call whose sender gave up on it is not reported at exit

    closing = False

    def payload(self, c: Charger, step: str) -> tuple[str, dict, int]:
        """(action, payload, sampled values carried) for the charger's next step."""
        connector = 1
        if step == "BootNotification":
            return (
                step,
                {
                    "chargePointVendor": "BenchVendor",
                    "chargePointModel": "BenchModel",
                    "chargePointSerialNumber": c.cbid,
                    "firmwareVersion": "1.0.0",
                    "meterType": "BenchMeter",
                },
                0,
            )
        if step.startswith("StatusNotification"):
            status = step.split(":")[1]
            if status == "Available0":
                status, connector = "Available", 0
            return (
                "StatusNotification",
                {
                    "connectorId": connector,
                    "errorCode": "NoError",
                    "status": status,
                    "timestamp": now_iso(),
                },
                0,
            )
        if step == "Heartbeat":
            return step, {}, 0
        if step == "Authorize":
            return step, {"idTag": c.tag}, 0
        if step == "StartTransaction":
            return step, {"connectorId": connector, "idTag": c.tag, "meterStart": c.meter, "timestamp": now_iso()}, 0
        if step == "MeterValues":
            c.meter += random.randint(50, 500)
            reading = self.reading(c)
            payload = {"connectorId": connector, "meterValue": [reading]}
            if c.tx is not None:
                payload["transactionId"] = c.tx
            return step, payload, len(reading["sampledValue"])
        if step == "StopTransaction":
            c.meter += random.randint(50, 500)
            reading = self.reading(c)
            return (
                step,
                {
                    "transactionId": c.tx,
                    "idTag": c.tag,
                    "meterStop": c.meter,
                    "timestamp": now_iso(),
                    "reason": "Local",
                    "transactionData": [reading],
                },
                len(reading["sampledValue"]),
            )
        raise ValueError(step)

    def reading(self, c: Charger) -> dict:
        return {
            "timestamp": now_iso(),
            "sampledValue": [
                {"value": str(c.meter), "measurand": "Energy.Active.Import.Register", "unit": "Wh",
                 "context": "Sample.Periodic", "location": "Outlet"},
                {"value": f"{random.uniform(3000, 11000):.1f}", "measurand": "Power.Active.Import", "unit": "W"},
                {"value": f"{random.uniform(5, 16):.2f}", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
            ],
        }  # fmt: skip

    async def send(self, c: Charger, step: str, phase: str = "steady") -> bool:
        """Send one CALL and await its answer. False when the connection is gone.

        `phase`: "boot" and "steady" calls are timed as such; "wind-down" calls are not timed.
        """
        if step == "StopTransaction" and c.tx is None:
            step = "Heartbeat"  # the start was refused: nothing to stop
        action, payload, samples = self.payload(c, step)
        c.seq += 1
        uid = f"{c.n}-{c.seq}"
        future = self.loop.create_future()
        c.pending[uid] = future
        stats = self.stats
        stats.sent[action] += 1
        started, sent_at = time.perf_counter(), time.time()
        try:
            await c.ws.send(json.dumps([2, uid, action, payload], separators=(",", ":")))
            frame = await asyncio.wait_for(future, self.cfg["call_timeout"])
        except TimeoutError:
            c.pending.pop(uid, None)
            stats.timeouts += 1
            return True
        except Exception:
            c.pending.pop(uid, None)
            return False
        done = time.perf_counter()
        if frame[0] == 4:
            stats.callerrors[f"{action}:{frame[2]}"] += 1
            if action == "StartTransaction":
                c.tx = None
            return True
        c.answer = frame[2]
        ms = (done - started) * 1000
        if phase == "boot":
            stats.boot_latency.append(ms)
        elif phase == "steady":
            stats.latency[action].append(ms)
            if self.cfg["timeline"]:
                stats.timeline.append((round(sent_at, 3), round(ms, 1)))
            if self.steady_from <= self.loop.time() <= self.steady_to:
                stats.acked_steady += 1
            if ms > self.cfg["slow_ms"]:
                stats.slow_seconds.append(int(sent_at - self.cfg["t_steady"]))
        stats.acked[action] += 1
        stats.samples_acked += samples
        if action == "StatusNotification":
            stats.status_acked += 1
        elif action == "StartTransaction":
            body = frame[2]
            if body.get("idTagInfo", {}).get("status") == "Accepted" and "transactionId" in body:
                c.tx = body["transactionId"]
                stats.tx_ids.add((c.cbid, c.tx))
            else:
                c.tx = None
        elif action == "StopTransaction":
            stats.stops_acked += 1
            c.tx = None
        return True

    async def next_message(self, c: Charger):
        step = SESSION[c.step % len(SESSION)]
        c.step += 1
        try:
            await self.send(c, step)
        finally:
            c.busy = False
            self.idle.append(c)

    # -- the run

    async def run(self, conn):
        self.loop = asyncio.get_running_loop()
        cfg = self.cfg
        n = len(self.chargers)
        # Ramp: connections spread evenly over the ramp time.
        for i, c in enumerate(self.chargers):
            await self.sleep_until(cfg["t0"] + cfg["ramp"] * i / max(n, 1))
            self.spawn(self.open(c))
        await self.sleep_until(cfg["t_steady"])
        cpu_steady_start = time.process_time()
        self.steady_from, self.steady_to = self.at(cfg["t_steady"]), self.at(cfg["t_end"])
        if cfg["api_rate"] > 0:
            self.spawn(self.api_load())
        await self.steady()
        await self.finish(conn, time.process_time() - cpu_steady_start)

    async def steady(self):
        """A fixed rate of messages, each to the charger idle the longest."""
        rate, issued = self.cfg["rate"], 0
        while self.loop.time() < self.steady_to:
            due = int((self.loop.time() - self.steady_from) * rate) - issued
            for _ in range(max(due, 0)):
                issued += 1
                while self.idle and not self.idle[0].alive:
                    self.idle.popleft()
                if not self.idle:
                    self.stats.missed += 1
                    continue
                c = self.idle.popleft()
                c.busy = True
                self.spawn(self.next_message(c))
            await asyncio.sleep(0.005)

    async def finish(self, conn, cpu_steady: float):
        cfg = self.cfg
        # Drain: let outstanding calls finish (bounded by the call timeout).
        deadline = self.loop.time() + cfg["call_timeout"]
        while any(c.pending for c in self.chargers) and self.loop.time() < deadline:
            await asyncio.sleep(0.05)
        # Wind down: the sessions still open are stopped, untimed. Each tag may have one active
        # session, so sessions left open would turn the next run's starts against the same
        # server (--step) into ConcurrentTx and its stops into heartbeats: a cheaper mix.
        open_sessions = [c for c in self.chargers if c.alive and c.tx is not None and not c.pending]
        await asyncio.gather(*(self.send(c, "StopTransaction", phase="wind-down") for c in open_sessions))
        held = sum(1 for c in self.chargers if c.alive)
        s = self.stats
        conn.send(
            {
                "held": held,
                "cpu_total": time.process_time(),
                "cpu_steady": cpu_steady,
                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "latency": dict(s.latency),
                "boot_latency": s.boot_latency,
                "handshake": s.handshake,
                "acked": dict(s.acked),
                "acked_steady": s.acked_steady,
                "sent": dict(s.sent),
                "callerrors": dict(s.callerrors),
                "timeouts": s.timeouts,
                "refused": s.refused,
                "dropped": s.dropped,
                "missed": s.missed,
                "status_acked": s.status_acked,
                "samples_acked": s.samples_acked,
                "transactions": len(s.tx_ids),
                "stops_acked": s.stops_acked,
                "csms_calls": dict(s.csms_calls),
                "api_latency": s.api_latency,
                "api_server_ms": s.api_server_ms,
                "api_status": dict(s.api_status),
                "api_missed": s.api_missed,
                "slow_seconds": s.slow_seconds,
                "timeline": s.timeline,
                "rebooted": s.rebooted,
                "boot_pending": s.boot_pending,
                "deferred": s.deferred,
            }
        )
        # Hold the sockets until the parent has measured the server.
        await self.loop.run_in_executor(None, conn.recv)
        self.closing = True
        await asyncio.gather(*(c.ws.close() for c in self.chargers if c.ws is not None), return_exceptions=True)

    # -- REST command API load

    async def api_load(self):
        cfg = self.cfg
        target = urlsplit(cfg["api_url"])
        pool: list[HttpConnection] = []
        idle: list[HttpConnection] = []
        rate, issued = cfg["api_rate"], 0
        while self.loop.time() < self.steady_to:
            due = int((self.loop.time() - self.steady_from) * rate) - issued
            for _ in range(max(due, 0)):
                issued += 1
                online = [c for c in random.sample(self.chargers, min(8, len(self.chargers))) if c.alive]
                if not online:
                    self.stats.api_missed += 1
                    continue
                if idle:
                    http = idle.pop()
                elif len(pool) < cfg["api_connections"]:
                    http = HttpConnection(target.hostname, target.port or 80)
                    pool.append(http)
                else:
                    self.stats.api_missed += 1
                    continue
                self.spawn(self.api_call(http, idle, online[0]))
            await asyncio.sleep(0.005)
        for http in pool:
            http.close()

    async def api_call(self, http: "HttpConnection", idle: list, c: Charger):
        path = f"/api/v1/chargers/{c.cbid}/reset"
        started = time.perf_counter()
        try:
            status, body = await asyncio.wait_for(
                http.request("POST", path, {"X-API-Key": self.cfg["api_key"]}, b'{"type":"Soft"}'),
                self.cfg["call_timeout"],
            )
        except Exception:
            http.close()
            self.stats.api_status["failed"] += 1
            idle.append(http)
            return
        self.stats.api_latency.append((time.perf_counter() - started) * 1000)
        self.stats.api_status[str(status)] += 1
        try:
            self.stats.api_server_ms.append(float(json.loads(body).get("responseTimeMs")))
        except Exception:
            pass
        idle.append(http)


class HttpConnection:
    """A minimal HTTP/1.1 keep-alive client: enough for JSON POSTs to the product's API."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Content-Type: application/json",
                 f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in headers.items()]  # fmt: skip
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, chunked, close = None, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).strip() or b"0", 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readline()
        elif length is not None:
            data = await self.reader.readexactly(length)
        else:
            data, close = await self.reader.read(), True
        if close:
            self.close()
        return status, data


def worker_main(cfg: dict, numbers: list[int], conn):
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    random.seed(numbers[0] if numbers else 0)
    if cfg["fleet"]:
        from fleet import FleetWorker

        asyncio.run(FleetWorker(cfg, numbers).run(conn))
    else:
        asyncio.run(Worker(cfg, numbers).run(conn))


# ---------------------------------------------------------------------------
# The product side: registration and persistence checks (Django, same DATABASE_URL)


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")
    import django

    django.setup()


def register(prefix: str, org: str, count: int) -> None:
    """Register the chargers and one id tag each, through the product's services."""
    django_setup()
    from django.db import transaction

    from accounts.services import organisation_get_or_create
    from chargers.models import Charger
    from chargers.services.registry import charger_register
    from charging.models import IdTag

    organisation = organisation_get_or_create(name=org)
    wanted = {charge_box_id(prefix, n): n for n in range(count)}
    existing = set(Charger.objects.filter(charge_box_id__in=list(wanted)).values_list("charge_box_id", flat=True))
    started = time.time()
    with transaction.atomic():  # one commit, not one per charger
        for cbid in sorted(wanted.keys() - existing):
            charger_register(organisation=organisation, charge_box_id=cbid)
    IdTag.objects.bulk_create(
        [IdTag(organisation=organisation, id_tag=id_tag_of(prefix, n)) for n in range(count)],
        ignore_conflicts=True,
    )
    took = time.time() - started
    print(f"registered {len(wanted) - len(existing)} chargers ({len(existing)} already) in {took:.1f}s")


def create_api_key(org: str) -> str:
    django_setup()
    from accounts.models import SCOPES, ApiKey
    from accounts.services import organisation_get_or_create

    return ApiKey.generate(organisation=organisation_get_or_create(name=org), scopes=list(SCOPES), name="bench")[1]


def online_in_database(prefix: str) -> int:
    from chargers.models import Charger

    return Charger.objects.filter(charge_box_id__startswith=f"{prefix}-").exclude(channel_name="").count()


def persisted(prefix: str, since: datetime) -> dict:
    from chargers.models import StatusNotification
    from charging.models import MeterValue, Transaction

    mine = {"charger__charge_box_id__startswith": f"{prefix}-"}
    return {
        "status_notifications": StatusNotification.objects.filter(**mine, received_at__gte=since).count(),
        "meter_values": MeterValue.objects.filter(**mine, received_at__gte=since).count(),
        "transactions": Transaction.objects.filter(**mine, created_at__gte=since).count(),
        "transactions_stopped": Transaction.objects.filter(
            **mine, created_at__gte=since, stop_time__isnull=False
        ).count(),
    }


# ---------------------------------------------------------------------------
# Server measurements (/proc)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except OSError:
        return 0.0


def database_backend_pids() -> list[int]:
    """PostgreSQL backends serving our database, found by their process title (postgres may
    report its pids in another namespace, so pg_stat_activity's pids are no use here)."""
    from django.db import connection

    marker = f" {connection.settings_dict['NAME']} "
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids}


async def wait_listening(port: int) -> None:
    """Until something listens on 127.0.0.1:`port` (30 s at most)."""
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


# ---------------------------------------------------------------------------
# Report


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q):
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 1),
            "mean": round(statistics.fmean(ordered), 1)}  # fmt: skip


def merge(parts: list[dict]) -> dict:
    total: dict = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict):
                slot = total.setdefault(key, {})
                for k, v in value.items():
                    slot[k] = slot.get(k, [] if isinstance(v, list) else 0) + v
            else:
                total[key] = total.get(key, [] if isinstance(value, list) else 0) + value
    return total


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add = parser.add_argument
    add(
        "--url",
        default="ws://127.0.0.1:8000/ocpp",
        help="charger endpoint base; chargers connect to URL/<id>. Several, comma-separated: charger n "
        "connects to the (n mod count)-th, as a load balancer in front of several nodes would spread them",
    )
    add("--chargers", type=int, default=1000, help="number of chargers (default 1000)")
    add("--rate", type=float, default=1000, help="total charger messages per second in the steady phase")
    add("--ramp", type=float, default=None, help="seconds over which connections open (default chargers/200)")
    add(
        "--settle",
        type=float,
        default=None,
        help="seconds between the end of the ramp and the steady phase, for the server to work off the "
        "ramp's boot storm (default: as long as the ramp, at least 5)",
    )
    add("--duration", type=float, default=60, help="seconds of steady load (default 60)")
    add("--procs", type=int, default=1, help="generator processes (default 1)")
    add("--prefix", default="BENCH", help="chargeBoxId prefix: PREFIX-000000 ... (default BENCH)")
    add("--org", default="Bench", help="organisation for --register (default Bench)")
    add("--register", action="store_true", help="register the chargers and id tags first (needs DATABASE_URL)")
    add("--verify", action="store_true", help="count persisted rows afterwards (needs DATABASE_URL)")
    add("--server-pid", type=int, action="append", default=[], help="server process id(s) for RSS and CPU")
    add("--call-timeout", type=float, default=30, help="seconds to wait for an answer (default 30)")
    add("--ping-interval", type=float, default=None, help="WebSocket ping interval (default: no pings)")
    add("--api-rate", type=float, default=0, help="REST commands per second (POST .../reset) during steady load")
    add("--api-url", default=None, help="API base, default the --url host over http (another process: its port)")
    add("--api-key", default=None, help="X-API-Key; default: create one for --org (needs DATABASE_URL)")
    add("--api-connections", type=int, default=64, help="HTTP keep-alive connections per process (default 64)")
    add(
        "--slow-ms",
        type=float,
        default=50,
        help="calls slower than this are counted for each second of the steady phase (default 50): "
        "a timeline that tells a transient (a stall, a burst of writes) from a steady backlog",
    )
    add(
        "--source-addresses",
        type=int,
        default=None,
        help="loopback source addresses the chargers connect from (127.0.0.1, .2, ...); one address has "
        "about 28,000 ephemeral ports (default: one per 10,000 chargers)",
    )
    from fleet import add_arguments as add_fleet_arguments  # fleet.py builds on this module

    add_fleet_arguments(add)
    add("--label", default="", help="a name for this run in the output")
    add("--run-id", default="", help="groups the runs of one bench/run.sh invocation (for bench/compare.py)")
    add("--json-out", default=None, help="append the JSON result line to this file")
    args = parser.parse_args(argv)
    if args.ramp is None:
        args.ramp = max(args.chargers / 200, 1)
    if args.settle is None:
        args.settle = max(args.ramp, 5)
    if args.source_addresses is None:
        args.source_addresses = -(-args.chargers // 10_000)
    if args.storm_at is not None and (not args.fleet or len(args.restart_cmd) != len(args.server_pid)):
        parser.error("--storm-at needs --fleet and one --restart-cmd per --server-pid")
    if args.api_url is None:
        u = urlsplit(args.url.split(",")[0])
        args.api_url = f"http://{u.hostname}:{u.port or 80}"
    return args


LOADAVG_BEFORE = None


def main(argv=None):
    global LOADAVG_BEFORE
    args = parse_args(argv)
    LOADAVG_BEFORE = round(os.getloadavg()[0], 2)  # other work on the machine skews the figures
    if args.register:
        register(args.prefix, args.org, args.chargers)
    if args.api_rate > 0 and not args.api_key:
        args.api_key = create_api_key(args.org)
    if args.verify:
        django_setup()
        from django.db import connection

        connection.close()
    since = datetime.now(UTC)
    procs = max(1, min(args.procs, args.chargers))
    t0 = time.time() + 1.0 + 0.2 * procs
    t_steady = t0 + args.ramp + args.settle
    t_end = t_steady + args.duration
    cfg = {
        "urls": [url.strip().rstrip("/") for url in args.url.split(",")], "prefix": args.prefix, "t0": t0,
        "ramp": args.ramp, "t_steady": t_steady,
        "t_end": t_end, "rate": args.rate / procs, "call_timeout": args.call_timeout,
        "ping_interval": args.ping_interval, "api_rate": args.api_rate / procs, "api_url": args.api_url,
        "api_key": args.api_key, "api_connections": args.api_connections, "slow_ms": args.slow_ms,
        "procs": procs, "source_addresses": args.source_addresses, "fleet": args.fleet,
        "heartbeat": args.heartbeat, "charging_share": args.charging_share, "meter_interval": args.meter_interval,
        "session_minutes": [float(x) for x in args.session_minutes.split(":")],
        "reconnect_delay": args.reconnect_delay,
        "retry_interval": [float(x) for x in args.retry_interval.split(":")],
        "timeline": args.storm_at is not None,
    }  # fmt: skip
    ctx = multiprocessing.get_context("spawn")
    workers = []
    for i in range(procs):
        parent, child = ctx.Pipe()
        numbers = list(range(i, args.chargers, procs))
        process = ctx.Process(target=worker_main, args=(cfg, numbers, child), daemon=True)
        process.start()
        workers.append((process, parent))
    pids = args.server_pid
    postgres = args.verify and os.environ.get("DATABASE_URL", "").startswith("postgres")
    time.sleep(max(t0 - time.time() - 0.2, 0))
    rss_before = sum(rss_kb(p) for p in pids)
    time.sleep(max(t_steady - time.time(), 0))
    cpu_start = sum(cpu_seconds(p) for p in pids)
    pg_start = cpu_by_pid(database_backend_pids()) if postgres else {}
    storm = None
    if args.storm_at is not None:
        time.sleep(max(t_steady + args.storm_at - time.time(), 0))
        storm = Storm(args.restart_cmd)
        storm.rss_growth_kb = sum(rss_kb(p) for p in pids) - rss_before  # the fleet as it ran before the kill
        cpu_start -= sum(cpu_seconds(p) for p in pids)  # the killed servers' share, counted up to here
        pg_killed = {p: cpu_seconds(p) - v for p, v in pg_start.items()}  # likewise their backends'
        pids = storm.restart(pids)
        cpu_start += sum(cpu_seconds(p) for p in pids)
    time.sleep(max(t_end - time.time(), 0))
    cpu_server = sum(cpu_seconds(p) for p in pids) - cpu_start
    pg_cpu = None
    if postgres and storm is None:
        pg_end = cpu_by_pid(list(pg_start))
        pg_cpu = sum(pg_end[p] - pg_start[p] for p in pg_start if pg_end[p] > 0)
    elif postgres:  # the killed servers' backends up to the kill, the new ones' from their start
        pg_end = cpu_by_pid(database_backend_pids())
        pg_cpu = sum(pg_killed.values()) + sum(v - pg_start.get(p, 0) - pg_killed.get(p, 0) for p, v in pg_end.items())
    rss_after = sum(rss_kb(p) for p in pids)
    parts = [parent.recv() for _, parent in workers]
    online_db = online_in_database(args.prefix) if args.verify else None
    for _, parent in workers:
        parent.send("release")
    for process, _ in workers:
        process.join(30)
    try:
        report(args, merge(parts), parts, since, rss_before, rss_after, cpu_server, pg_cpu, online_db, storm)
    finally:
        if storm is not None:
            storm.stop()


class Storm:
    """--storm-at: kill the servers, start them again, and time the fleet's way back."""

    ERRORS = ("OperationalError", "too many clients", "Traceback", "remaining connection slots")

    def __init__(self, commands: list[str]):
        self.commands = commands
        self.servers: list = []
        (ROOT / "var").mkdir(exist_ok=True)
        self.logs = [ROOT / "var" / f"bench-restart-{i}.log" for i in range(len(commands))]
        self.killed_at = self.up_at = 0.0
        self.rss_growth_kb = 0

    def restart(self, pids: list[int]) -> list[int]:
        import shlex
        import signal
        import subprocess

        self.killed_at = time.time()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        argvs = [shlex.split(command) for command in self.commands]
        ports = [int(argv[argv.index("-p") + 1]) for argv in argvs]
        while any(self.listening(port) for port in ports):  # a dying process holds its sockets for a while
            time.sleep(0.01)
        for argv, log in zip(argvs, self.logs, strict=True):
            with open(log, "w") as out:
                self.servers.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT))
        for port in ports:
            while not self.listening(port):
                time.sleep(0.02)
        self.up_at = time.time()
        return [server.pid for server in self.servers]

    @staticmethod
    def listening(port: int) -> bool:
        import socket

        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    def errors(self) -> int:
        """Lines of the restarted servers' logs that tell of a database (or any other) error."""
        return sum(
            1 for log in self.logs for line in log.read_text(errors="replace").splitlines()
            if any(marker in line for marker in self.ERRORS)
        )  # fmt: skip

    def result(self, s: dict, expected: int) -> dict:
        back = [t - self.up_at for t in s["rebooted"]]
        last = max(back, default=0) + self.up_at
        meanwhile = [ms for sent_at, ms in s["timeline"] if self.up_at <= sent_at <= last]
        before = [ms for sent_at, ms in s["timeline"] if sent_at < self.killed_at]
        return {
            "before_kill": {  # the fleet in its steady phase, up to the kill
                "calls_ms": percentiles(before),
                "rss_kb_per_connection": round(self.rss_growth_kb / expected, 1) if expected else None,
            },
            "down_s": round(self.up_at - self.killed_at, 2),
            "rebooted": len(back),
            "expected": expected,
            "all_back_within_s": round(max(back), 1) if back and len(back) >= expected else None,
            "back_s": percentiles(back),
            "boot_pending_answers": s["boot_pending"],
            "handshakes_deferred": s["deferred"],
            "calls_meanwhile_ms": percentiles(meanwhile),
            "server_log_errors": self.errors(),
        }

    def stop(self):
        for server in self.servers:
            server.terminate()
        for server in self.servers:
            try:
                server.wait(30)
            except Exception:
                server.kill()


def report(args, s, parts, since, rss_before, rss_after, cpu_server, pg_cpu, online_db, storm=None):
    all_steady = [ms for values in s["latency"].values() for ms in values]
    slow = Counter(s["slow_seconds"])
    acked_total = sum(s["acked"].values())
    sent_total = sum(s["sent"].values())
    callerrors = sum(s["callerrors"].values())
    result = {
        "label": args.label,
        "run_id": args.run_id,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "url": args.url,
        "chargers": args.chargers,
        "target_rate": args.rate,
        "duration_s": args.duration,
        "ramp_s": args.ramp,
        "procs": args.procs,
        "loadavg_before": LOADAVG_BEFORE,
        "nice": os.nice(0),
        "held": s["held"],
        "online_in_database": online_db,
        "sustained_msgs_per_s": round(s["acked_steady"] / args.duration, 1),
        "latency_ms": percentiles(all_steady),
        "latency_by_action_ms": {a: percentiles(v) for a, v in sorted(s["latency"].items())},
        "slow_ms": args.slow_ms,
        "slow_calls_by_second": [slow[second] for second in range(int(args.duration))],
        "boot_latency_ms": percentiles(s["boot_latency"]),
        "handshake_ms": percentiles(s["handshake"]),
        "sent": sent_total,
        "acked": acked_total,
        "errors": {
            "callerrors": callerrors,
            "callerror_codes": s["callerrors"],
            "timeouts": s["timeouts"],
            "refused": s["refused"],
            "dropped": s["dropped"],
            "missed": s["missed"],
        },
        "server": {
            "rss_mb_before": round(rss_before / 1024, 1),
            "rss_mb": round(rss_after / 1024, 1),
            "rss_kb_per_connection": round((rss_after - rss_before) / s["held"], 1) if s["held"] else None,
            "cpu_percent_steady": round(100 * cpu_server / args.duration, 1),
            "postgres_cpu_percent_steady": round(100 * pg_cpu / args.duration, 1) if pg_cpu is not None else None,
        },
        "generator": {
            "cpu_percent_steady": round(100 * sum(p["cpu_steady"] for p in parts) / args.duration, 1),
            "cpu_seconds_total": round(sum(p["cpu_total"] for p in parts), 1),
            "max_rss_mb": round(max(p["maxrss_kb"] for p in parts) / 1024, 1),
        },
    }
    if args.fleet:
        result["fleet"] = {
            "heartbeat_s": args.heartbeat, "charging_share": args.charging_share,
            "meter_interval_s": args.meter_interval, "session_minutes": args.session_minutes,
            "source_addresses": args.source_addresses,
        }  # fmt: skip
    if storm is not None:
        result["storm"] = storm.result(s, expected=args.chargers - s["refused"])
    if args.api_rate > 0:
        result["api"] = {
            "rate": args.api_rate,
            "url": args.api_url,
            "latency_ms": percentiles(s["api_latency"]),
            "charger_answer_ms": percentiles(s["api_server_ms"]),
            "status": s["api_status"],
            "missed": s["api_missed"],
            "charger_received": s["csms_calls"],
        }
    if args.verify:
        django_setup()
        rows = persisted(args.prefix, since)
        expected = {
            "status_notifications": s["status_acked"],
            "meter_values": s["samples_acked"],
            "transactions": s["transactions"],
            "transactions_stopped": s["stops_acked"],
        }
        result["persisted"] = {
            "expected": expected,
            "rows": rows,
            "ok": all(rows[k] >= expected[k] for k in expected),
        }
    print_summary(result)
    line = json.dumps(result, separators=(",", ":"))
    print("RESULT " + line)
    if args.json_out:
        with open(args.json_out, "a") as out:
            out.write(line + "\n")


def print_summary(r: dict):
    lat = r["latency_ms"]
    e = r["errors"]
    srv = r["server"]
    print(f"== {r['label'] or r['url']}: {r['chargers']} chargers, {r['target_rate']:g} msg/s for {r['duration_s']:g}s")
    print(
        f"connections held      {r['held']} / {r['chargers']}"
        + (f" (online in database: {r['online_in_database']})" if r["online_in_database"] is not None else "")
    )
    print(f"sustained             {r['sustained_msgs_per_s']} msg/s  ({r['acked']} answered of {r['sent']} sent)")
    print(
        f"charger call latency  p50 {lat.get('p50')} ms  p95 {lat.get('p95')} ms  p99 {lat.get('p99')} ms  "
        f"max {lat.get('max')} ms  (n={lat['n']})"
    )
    for action, p in r["latency_by_action_ms"].items():
        print(f"    {action:<20} p50 {p.get('p50'):>7} p99 {p.get('p99'):>7} max {p.get('max'):>7}  n={p['n']}")
    print(f"calls over {r['slow_ms']:g} ms by second of the steady phase: {r['slow_calls_by_second']}")
    b, h = r["boot_latency_ms"], r["handshake_ms"]
    print(
        f"ramp                  handshake p50 {h.get('p50')} p99 {h.get('p99')} ms; "
        f"boot calls p50 {b.get('p50')} p99 {b.get('p99')} ms"
    )
    print(
        f"errors                CALLERROR {e['callerrors']} {e['callerror_codes'] or ''} timeouts {e['timeouts']} "
        f"refused {e['refused']} dropped {e['dropped']} missed {e['missed']}"
    )
    per = srv["rss_kb_per_connection"]
    print(
        f"server                RSS {srv['rss_mb']} MB (before {srv['rss_mb_before']} MB, {per} kB/connection), "
        f"CPU {srv['cpu_percent_steady']}%"
        + (
            f", postgres CPU {srv['postgres_cpu_percent_steady']}%"
            if srv["postgres_cpu_percent_steady"] is not None
            else ""
        )
    )
    g = r["generator"]
    print(f"generator             CPU {g['cpu_percent_steady']}% in steady phase, max RSS {g['max_rss_mb']} MB")
    if "api" in r:
        a = r["api"]
        print(
            f"API commands          {a['rate']:g}/s via {a['url']}: p50 {a['latency_ms'].get('p50')} ms "
            f"p99 {a['latency_ms'].get('p99')} ms max {a['latency_ms'].get('max')} ms (n={a['latency_ms']['n']}); "
            f"status {a['status']}; missed {a['missed']}; charger answer (server-measured) "
            f"p50 {a['charger_answer_ms'].get('p50')} p99 {a['charger_answer_ms'].get('p99')} ms"
        )
    if "storm" in r:
        st = r["storm"]
        back, meanwhile, before = st["back_s"], st["calls_meanwhile_ms"], st["before_kill"]
        print(
            f"before the kill       calls p50 {before['calls_ms'].get('p50')} p99 {before['calls_ms'].get('p99')} ms "
            f"(n={before['calls_ms']['n']}); server RSS {before['rss_kb_per_connection']} kB/connection"
        )
        print(
            f"reconnect storm       servers down {st['down_s']} s; {st['rebooted']}/{st['expected']} booted Accepted "
            f"again, p50 {back.get('p50')} s p99 {back.get('p99')} s last {back.get('max')} s after the servers were"
            f" up (all within {st['all_back_within_s']} s); {st['handshakes_deferred']} handshakes deferred (503), "
            f"{st['boot_pending_answers']} Pending/Rejected answers; "
            f"calls meanwhile p99 {meanwhile.get('p99')} ms (n={meanwhile['n']}); "
            f"error lines in the servers' logs {st['server_log_errors']}"
        )
    if "persisted" in r:
        p = r["persisted"]
        print(f"persisted             {'OK' if p['ok'] else 'MISSING ROWS'}: " + ", ".join(
            f"{k} {p['rows'][k]}/{p['expected'][k]}" for k in p["expected"]))  # fmt: skip


if __name__ == "__main__":
    main()
