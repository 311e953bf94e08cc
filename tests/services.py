"""Is a service the suite needs reachable? `python -m tests.services postgres|redis`.

Exit 0: reachable. Exit 1: not reachable, skip it. With CSMS_REQUIRE_SERVICES=1 an
unreachable service is an error (exit 2) instead, so that CI cannot skip it.
"""

import os
import socket
import sys

ADDRESSES = {"postgres": ("127.0.0.1", 5432), "redis": ("127.0.0.1", 6379)}


def reachable(name: str) -> bool:
    try:
        with socket.create_connection(ADDRESSES[name], timeout=2):
            return True
    except OSError:
        return False


def required() -> bool:
    return os.environ.get("CSMS_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes", "on"}


if __name__ == "__main__":
    name = sys.argv[1]
    if reachable(name):
        sys.exit(0)
    if required():
        print(f"CSMS_REQUIRE_SERVICES is set but {name} at {ADDRESSES[name]} is not reachable", file=sys.stderr)
        sys.exit(2)
    print(f"{name} is not reachable at {ADDRESSES[name]}: skipping the tests that need it")
    sys.exit(1)
