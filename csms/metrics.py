"""The product's Prometheus metrics, and `GET /metrics` that serves them (README, "Operations").

Each metric is defined here once; the code that knows the figure counts it with one call
(`metrics.FRAMES.labels(...).inc()`), so any room may import this module and none imports
a higher one for it. Figures that are read rather than counted (queue depths, open
transactions) are registered with `read_at_scrape` by the module that owns them and read
when Prometheus scrapes.

Processes: by default each process serves its own figures, and Prometheus scrapes every
daphne node as a target of its own. With PROMETHEUS_MULTIPROC_DIR set (prometheus-client's
multiprocess mode) the processes of one machine that share that directory (daphne nodes,
Celery workers' children) write their counts there, and `/metrics` of any of them serves the
sum; the figures read at scrape time are then those of the process that answers.
"""

import hmac
import os
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from csms import shutdown

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# Frame handling and commands: from a millisecond to a command's timeout.
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
BATCH_SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500)

CHARGERS_CONNECTED = Gauge(
    "csms_chargers_connected", "Chargers whose socket this process holds.", ["protocol"], multiprocess_mode="livesum"
)
FRAMES = Counter(
    "csms_ocpp_frames", "OCPP frames by direction, type (call, result, error, invalid), action and version.",
    ["direction", "type", "action", "version"],
)  # fmt: skip
CALLERRORS = Counter("csms_ocpp_callerrors", "CALLERRORs sent (out) and received (in) by code.", ["direction", "code"])
FRAME_SECONDS = Histogram(
    "csms_ocpp_frame_handling_seconds", "From a charger's CALL to its answer going out.", ["action"], buckets=SECONDS
)
COMMANDS = Counter("csms_commands", "Commands sent to chargers by action and outcome.", ["action", "outcome"])
COMMAND_SECONDS = Histogram(
    "csms_command_seconds", "A command from its caller's request to its outcome.", ["action"], buckets=SECONDS
)
BUS_ROUND_TRIP = Histogram(
    "csms_command_bus_round_trip_seconds", "From a command's send over the channel layer to the reply.",
    buckets=SECONDS,
)  # fmt: skip
BATCH_SIZE = Histogram(
    "csms_db_batch_size", "Jobs per database batch: charger frames, or a write-behind queue's items.", ["queue"],
    buckets=BATCH_SIZES,
)  # fmt: skip
COMMIT_SECONDS = Histogram(
    "csms_db_commit_seconds", "A frame worker's batch, from its first statement to its commit.", buckets=SECONDS
)
WEBHOOK_DELIVERIES = Counter("csms_webhook_deliveries", "Webhook delivery attempts by outcome.", ["outcome"])
WEBSOCKET_CLOSES = Counter("csms_websocket_closes", "Charger sockets closed, by close code.", ["code"])
HANDSHAKES_DEFERRED = Counter(
    "csms_handshakes_deferred", "Charger handshakes denied with 503 and Retry-After: CSMS_HANDSHAKE_BACKLOG was full."
)
PRUNED = Counter("csms_pruned_rows", "Rows removed by the retention jobs, by table.", ["table"])

_read_at_scrape: dict[str, tuple[str, list[str], Callable[[], dict[tuple, float]]]] = {}


def read_at_scrape(name: str, documentation: str, labels: list[str], read: Callable[[], dict[tuple, float]]) -> None:
    """A gauge read when Prometheus scrapes: `read()` gives {label values: value}."""
    _read_at_scrape[name] = (documentation, labels, read)


class ReadAtScrape:
    def collect(self):
        for name, (documentation, labels, read) in _read_at_scrape.items():
            family = GaugeMetricFamily(name, documentation, labels=labels)
            for values, value in read().items():
                family.add_metric(list(values), value)
            yield family


def registry() -> CollectorRegistry:
    from prometheus_client import REGISTRY

    if not MULTIPROCESS:
        return REGISTRY
    combined = CollectorRegistry()
    MultiProcessCollector(combined)
    return combined


# Served beside the counted metrics, in either mode: they belong to the process that answers.
SCRAPED = CollectorRegistry(auto_describe=False)
SCRAPED.register(ReadAtScrape())


async def process_gone(deadline: float) -> None:
    """A stopping process's live gauges (chargers connected) leave the machine's sum."""
    mark_process_dead(os.getpid())


if MULTIPROCESS:
    shutdown.on_drain(shutdown.LAST, "multiprocess metrics", process_gone)


def metrics_view(request):
    """Prometheus text format; with CSMS_METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
    token = settings.CSMS_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            response = JsonResponse(
                {"error": {"code": "unauthorized", "message": "Authorization: Bearer <CSMS_METRICS_TOKEN> required."}},
                status=401,
            )
            response["WWW-Authenticate"] = "Bearer"
            return response
    return HttpResponse(generate_latest(registry()) + generate_latest(SCRAPED), content_type=CONTENT_TYPE_LATEST)
