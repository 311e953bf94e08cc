"""The baseline: a bare `ocpp` + `websockets` central system with no database.

It accepts any chargeBoxId at ws://HOST:PORT/ocpp/<id> (subprotocol ocpp1.6) and
answers the charger messages of bench/load.py at once, with the `ocpp` library's
own routing and schema validation (its defaults: request and response validated,
in the loop's thread pool). Nothing is stored. Run bench/load.py against it the same
way as against the product:

    python bench/bare_server.py --port 9000 &
    python bench/load.py --url ws://127.0.0.1:9000/ocpp --chargers 1000 --rate 1000 --server-pid $!
"""

import argparse
import asyncio
import itertools
import logging
from datetime import UTC, datetime

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus

transaction_ids = itertools.count(1)


def now() -> str:
    return datetime.now(UTC).isoformat()


class Charger(ChargePoint):
    @on(Action.boot_notification)
    async def on_boot(self, charge_point_vendor, charge_point_model, **kwargs):
        return call_result.BootNotification(current_time=now(), interval=300, status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    async def on_heartbeat(self):
        return call_result.Heartbeat(current_time=now())

    @on(Action.status_notification)
    async def on_status(self, connector_id, error_code, status, **kwargs):
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag):
        return call_result.Authorize(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.start_transaction)
    async def on_start(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        return call_result.StartTransaction(
            transaction_id=next(transaction_ids), id_tag_info={"status": AuthorizationStatus.accepted}
        )

    @on(Action.meter_values)
    async def on_meter_values(self, connector_id, meter_value, **kwargs):
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    async def on_stop(self, meter_stop, timestamp, transaction_id, **kwargs):
        return call_result.StopTransaction(id_tag_info={"status": AuthorizationStatus.accepted})


async def serve_charger(connection):
    path = connection.request.path.strip("/").split("/")
    if len(path) != 2 or path[0] != "ocpp":
        await connection.close(1008, "unknown path")
        return
    try:
        await Charger(path[1], connection).start()
    except websockets.ConnectionClosed:
        pass


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    async with websockets.serve(
        serve_charger, args.host, args.port, subprotocols=["ocpp1.6"], compression=None, ping_interval=None,
        max_queue=16,
    ) as server:  # fmt: skip
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
