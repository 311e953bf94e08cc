"""The fleet mix for bench/load.py (--fleet): each charger keeps its own clock, as a real fleet does.

Instead of a fixed total rate handed round robin, every charger lives on its own schedule:

- a Heartbeat every --heartbeat seconds (default 300);
- about --charging-share of the fleet (default 0.3) in a session at any time. A session is
  StartTransaction and StatusNotification(Charging), MeterValues every --meter-interval seconds
  (default 60) with 4 measurands on 3 phases (energy register; power, current and voltage per phase:
  10 sampled values), then StopTransaction (with transactionData) and StatusNotification(Available).
  Sessions last --session-minutes (default 20-60, uniform); the idle time between them is drawn so
  that the charging share holds.

The chargers in a session when the steady phase begins start it right after their boot, in the ramp.
The rate that follows: 50,000 chargers send about 167 heartbeats, 250 MeterValues and 25 session
messages a second.

A charger that loses its connection (--storm-at, or the server going away) does what a real one
does: it waits a random moment (up to --reconnect-delay), connects again, retrying every
--retry-interval seconds while the server refuses (or after the Retry-After of a 503), sends
BootNotification until it is Accepted (honouring Pending's interval), then its StatusNotifications,
and carries on with its schedule and its open session.
"""

import asyncio
import random
import time

from load import BOOT, Charger, Worker, now_iso

# The fleet's tunables: option, type, default, meaning.
OPTIONS = (
    ("--heartbeat", float, 300, "seconds between a charger's heartbeats"),
    ("--charging-share", float, 0.3, "share of the chargers in a session at any time"),
    ("--meter-interval", float, 60, "seconds between MeterValues in a session"),
    ("--session-minutes", str, "20:60", "session length range MIN:MAX"),
    ("--reconnect-delay", float, 10, "a charger that lost its connection waits up to this many seconds first"),
    ("--retry-interval", str, "5:15", "seconds MIN:MAX between a charger's connection attempts while refused"),
)


def add_arguments(add) -> None:
    """The fleet's options of bench/load.py."""
    add("--fleet", action="store_true", help="the fleet mix (bench/fleet.py) instead of a fixed total --rate")
    for option, kind, default, meaning in OPTIONS:
        add(option, type=kind, default=default, help=f"--fleet: {meaning} (default {default})")
    add(
        "--storm-at",
        type=float,
        default=None,
        help="--fleet: seconds into the steady phase at which every --server-pid is killed (SIGKILL) and "
        "started again with --restart-cmd; every charger reconnects and boots (the reconnect storm)",
    )
    add(
        "--restart-cmd",
        action="append",
        default=[],
        help="--storm-at: the command that starts a killed server again, one per --server-pid, in order "
        "(its port is read from -p PORT)",
    )


class FleetCharger(Charger):
    __slots__ = ("rng", "heartbeat_at", "meter_at", "session_toggle_at", "in_session")

    def __init__(self, n: int, prefix: str):
        super().__init__(n, prefix)
        self.rng = random.Random(n)  # the same fleet in every run
        self.heartbeat_at = self.meter_at = self.session_toggle_at = 0.0
        self.in_session = False


class FleetWorker(Worker):
    charger_class = FleetCharger

    def __init__(self, cfg: dict, numbers: list[int]):
        super().__init__(cfg, numbers)
        low, high = cfg["session_minutes"]
        self.session_mean = 60 * (low + high) / 2
        share = cfg["charging_share"]
        self.idle_mean = self.session_mean * (1 - share) / share if share > 0 else float("inf")
        for c in self.chargers:  # where each charger is in its life when the steady phase begins (wall time)
            start = cfg["t_steady"]
            c.heartbeat_at = start + c.rng.uniform(0, cfg["heartbeat"])
            c.in_session = c.rng.random() < share
            if c.in_session:
                c.session_toggle_at = start + c.rng.uniform(0, self.session_length(c))
                c.meter_at = start + c.rng.uniform(0, cfg["meter_interval"])
            else:
                c.session_toggle_at = start + c.rng.uniform(0, self.idle_length(c))

    def session_length(self, c: FleetCharger) -> float:
        low, high = self.cfg["session_minutes"]
        return 60 * c.rng.uniform(low, high)

    def idle_length(self, c: FleetCharger) -> float:
        return c.rng.uniform(0, 2 * self.idle_mean)

    def reading(self, c: Charger) -> dict:
        watts = [c.rng.uniform(1000, 3700) for _ in range(3)]
        sampled = [{"value": str(c.meter), "measurand": "Energy.Active.Import.Register", "unit": "Wh",
                    "context": "Sample.Periodic", "location": "Outlet"}]  # fmt: skip
        for phase, w in zip(("L1", "L2", "L3"), watts, strict=True):
            volts = c.rng.uniform(225, 235)
            sampled += [
                {"value": f"{w:.1f}", "measurand": "Power.Active.Import", "unit": "W", "phase": phase},
                {"value": f"{w / volts:.2f}", "measurand": "Current.Import", "unit": "A", "phase": phase},
                {"value": f"{volts:.1f}", "measurand": "Voltage", "unit": "V", "phase": f"{phase}-N"},
            ]
        return {"timestamp": now_iso(), "sampledValue": sampled}

    async def open(self, c: FleetCharger):
        """The charger's whole life, one task: connected and booted in the ramp, then its schedule."""
        if not await self.connect(c):
            # Refused in the ramp (a busy node's 503): the charger tries again, as after a drop.
            await self.come_back(c, after_drop=False)
            if not c.alive:
                return
            self.stats.refused -= 1  # it got in: `refused` counts the chargers that never did
        else:
            for step in BOOT:
                if not c.alive or not await self.send(c, step, phase="boot"):
                    break
        if c.alive and c.in_session:  # already charging when the measured phase begins
            for step in ("StartTransaction", "StatusNotification:Charging"):
                if not await self.send(c, step, phase="boot"):
                    break
        # Also a charger let in late (after retries): it joins its schedule then, and comes back after a drop.
        await self.sleep_until(self.cfg["t_steady"])
        await self.live(c)

    async def steady(self):
        await self.sleep_until(self.cfg["t_end"])  # each charger's own task (open) runs its schedule

    async def live(self, c: FleetCharger):
        """One charger's life in the steady phase: its next due message, or its way back after a drop."""
        end = self.cfg["t_end"]
        while time.time() < end:
            if not c.alive:
                await self.come_back(c)
                continue
            due = min(c.heartbeat_at, c.session_toggle_at, c.meter_at if c.in_session else end)
            if due >= end:
                await self.wait_or_drop(c, end)
                return
            if not await self.wait_or_drop(c, due):
                continue
            if due == c.heartbeat_at:
                c.heartbeat_at += self.cfg["heartbeat"]
                await self.send(c, "Heartbeat")
            elif c.in_session and due == c.meter_at:
                c.meter_at += self.cfg["meter_interval"]
                await self.send(c, "MeterValues")
            elif c.in_session:
                c.in_session = False
                c.session_toggle_at = time.time() + self.idle_length(c)
                if await self.send(c, "StopTransaction"):
                    await self.send(c, "StatusNotification:Available")
            else:
                c.in_session = True
                c.session_toggle_at = time.time() + self.session_length(c)
                c.meter_at = time.time() + self.cfg["meter_interval"]
                if await self.send(c, "StartTransaction"):
                    await self.send(c, "StatusNotification:Charging")

    async def wait_or_drop(self, c: FleetCharger, wall: float) -> bool:
        """Sleep until `wall`; False if the connection was lost meanwhile."""
        delay = wall - time.time()
        if delay > 0:
            await asyncio.wait({c.reader}, timeout=delay)
        return c.alive

    async def come_back(self, c: FleetCharger, after_drop: bool = True):
        """Reconnect and boot again, as a charger does after losing its central system."""
        cfg = self.cfg
        await asyncio.sleep(c.rng.uniform(0, cfg["reconnect_delay"]))
        low, high = cfg["retry_interval"]
        while not await self.connect(c, timed=False):
            if time.time() > cfg["t_end"]:
                return
            if c.answer.get("retry_after"):  # the node is busy and says when to come back
                self.stats.deferred += 1
                await asyncio.sleep(float(c.answer["retry_after"]))
            else:
                await asyncio.sleep(c.rng.uniform(low, high))
        while True:
            if not await self.send(c, "BootNotification", phase="reboot"):
                return  # lost again: live() starts over
            if c.answer.get("status") == "Accepted":
                break
            self.stats.boot_pending += 1
            await asyncio.sleep(max(float(c.answer.get("interval") or 10), 1))
        if after_drop:
            self.stats.rebooted.append(time.time())
        for step in BOOT[1:-1] + ["StatusNotification:Charging" if c.tx is not None else BOOT[-1]]:
            if not await self.send(c, step, phase="reboot"):
                return
