"""Print benchmark results (the JSON lines of bench/load.py) side by side.

python bench/compare.py var/bench-results.jsonl [--run-id ID] [--last N]
"""

import argparse
import json


def get(result: dict, path: str):
    value = result
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return ""
        value = value[key]
    return value


ROWS = [
    ("chargers", "chargers"),
    ("target msg/s", "target_rate"),
    ("connections held", "held"),
    ("sustained msg/s", "sustained_msgs_per_s"),
    ("p50 ms", "latency_ms.p50"),
    ("p95 ms", "latency_ms.p95"),
    ("p99 ms", "latency_ms.p99"),
    ("max ms", "latency_ms.max"),
    ("handshake p99 ms", "handshake_ms.p99"),
    ("boot calls p99 ms", "boot_latency_ms.p99"),
    ("CALLERRORs", "errors.callerrors"),
    ("timeouts", "errors.timeouts"),
    ("refused", "errors.refused"),
    ("dropped", "errors.dropped"),
    ("missed (no idle charger)", "errors.missed"),
    ("server RSS MB", "server.rss_mb"),
    ("server kB/connection", "server.rss_kb_per_connection"),
    ("server CPU %", "server.cpu_percent_steady"),
    ("postgres CPU %", "server.postgres_cpu_percent_steady"),
    ("generator CPU %", "generator.cpu_percent_steady"),
    ("API p50 ms", "api.latency_ms.p50"),
    ("API p99 ms", "api.latency_ms.p99"),
    ("API statuses", "api.status"),
    ("persisted", "persisted.ok"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--run-id", default=None, help="only the runs of this bench/run.sh invocation")
    parser.add_argument("--last", type=int, default=None, help="only the last N results")
    args = parser.parse_args()
    with open(args.file) as f:
        results = [json.loads(line) for line in f if line.strip()]
    if args.run_id:
        results = [r for r in results if str(r.get("run_id")) == str(args.run_id)]
    if args.last:
        results = results[-args.last :]
    if not results:
        print("no results")
        return
    names = [r.get("label") or r.get("url") for r in results]
    width = max(14, *(len(n) for n in names)) + 2
    print(f"{'':<26}" + "".join(f"{n:>{width}}" for n in names))
    for title, path in ROWS:
        cells = [get(r, path) for r in results]
        if all(c in ("", None) for c in cells):
            continue
        print(f"{title:<26}" + "".join(f"{str(c):>{width}}" for c in cells))


if __name__ == "__main__":
    main()
