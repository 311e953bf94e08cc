"""What a node spends on a handshake it defers: the CPU of a WebSocket handshake denied with 503.

A reconnect storm is mostly denials: every charger beyond the node's admission backlog is told to
come back later, and each of those answers is a whole WebSocket handshake. This measures one:

1. a fresh `daphne csms.asgi:application` on PostgreSQL, CSMS_HANDSHAKE_BACKLOG=1;
2. one charger, HOLD-000000, fills that backlog: its admission waits for its charger row, which this script
   holds locked for the whole run (and daphne's handshake timeout is raised so that it waits);
3. --handshakes chargers (--concurrency at a time) open their handshakes, each answered 503;
4. the server's CPU (its /proc stat) before and after, divided by the handshakes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csms_denial python bench/denials.py --handshakes 3000

The database is migrated and HOLD-000000 registered if need be. To compare two versions, run it in each
checkout, interleaved (bench/README.md).
"""

import argparse
import asyncio
import os
import subprocess
import sys
import time

import psycopg
import websockets
from load import ROOT, charge_box_id, cpu_seconds, register, wait_listening

PY = str(ROOT / ".venv" / "bin" / "python")
HOLD = charge_box_id("HOLD", 0)


def prepare(env: dict) -> None:
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    register("HOLD", "Bench", 1)


async def measure(args, server: subprocess.Popen) -> dict:
    url = f"ws://127.0.0.1:{args.port}/ocpp/"
    await wait_listening(args.port)
    await asyncio.sleep(2)  # the node's start-up work done
    async with await psycopg.AsyncConnection.connect(os.environ["DATABASE_URL"]) as lock:
        await lock.execute("SELECT 1 FROM chargers_charger WHERE charge_box_id = %s FOR UPDATE", [HOLD])

        async def hold():
            return await websockets.connect(url + HOLD, subprotocols=["ocpp1.6"], open_timeout=3600)

        holder = asyncio.create_task(hold())
        await asyncio.sleep(1)
        slots = asyncio.Semaphore(args.concurrency)
        answers: dict = {}

        async def one(n: int) -> None:
            async with slots:
                try:
                    async with websockets.connect(f"{url}DEFERRED-{n}", subprotocols=["ocpp1.6"]):
                        status = "admitted"
                except websockets.InvalidStatus as error:
                    status = error.response.status_code
                answers[status] = answers.get(status, 0) + 1

        cpu, wall = cpu_seconds(server.pid), time.time()
        await asyncio.gather(*(one(n) for n in range(args.handshakes)))
        cpu, wall = cpu_seconds(server.pid) - cpu, time.time() - wall
        holder.cancel()
    return {
        "handshakes": args.handshakes,
        "answers": answers,
        "server_cpu_ms_per_handshake": round(1000 * cpu / args.handshakes, 3),
        "handshakes_per_s": round(args.handshakes / wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--handshakes", type=int, default=3000, help="handshakes to deny (default 3000)")
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes open at once (default 50)")
    parser.add_argument("--port", type=int, default=8850, help="the node's port (default 8850)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database (the row lock holds the backlog)")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["CSMS_HANDSHAKE_BACKLOG"] = "1"
    prepare(env)
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / f"bench-denials-{args.port}.log", "w")  # noqa: SIM115 (the server's whole life)
    daphne = [str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(args.port)]
    server = subprocess.Popen(
        [*daphne, "--websocket_connect_timeout", "3600", "csms.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        print(asyncio.run(measure(args, server)))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
