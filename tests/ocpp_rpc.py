"""Drive `tests/js/charger.js`: a charger on the npm package ocpp-rpc in strict mode."""

import atexit
import itertools
import json
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "js" / "charger.js"


class RpcCallError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Refused(Exception):
    pass


class _WarmSpare:
    """One node process that has already loaded ocpp-rpc (about a second), waiting to be told where to connect."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()
        atexit.register(self.discard)

    def take(self) -> subprocess.Popen:
        with self.lock:
            process = self.process if self.process is not None and self.process.poll() is None else self._spawn()
            self.process = self._spawn()
        return process

    def discard(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @staticmethod
    def _spawn() -> subprocess.Popen:
        return subprocess.Popen(
            ["node", str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )


_spare = _WarmSpare()


class RpcCharger:
    """A charger process. `call` sends a CALL to the server; `calls` queues the server's CALLs."""

    def __init__(
        self, endpoint: str, identity: str, protocol: str = "ocpp1.6", password: str | None = None,
        tls: dict | None = None,
    ):  # fmt: skip
        """`tls`: {ca, cert, key} as PEM text for a wss:// endpoint (cert and key for a client certificate)."""
        self.process = _spare.take()
        where = {"endpoint": endpoint, "identity": identity, "protocol": protocol, "password": password, "tls": tls}
        self.process.stdin.write(json.dumps({"op": "connect", **where}) + "\n")
        self.process.stdin.flush()
        self.ids = itertools.count(1)
        self.replies: dict[int, queue.Queue] = {}
        self.calls: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        self.events_changed = threading.Condition()
        self.opened: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        first = self.opened.get(timeout=15)
        if first["event"] != "open":
            self.process.wait(5)
            raise Refused(first.get("message", "refused"))
        self.protocol = first.get("protocol")

    def _read(self) -> None:
        for line in self.process.stdout:
            message = json.loads(line)
            event = message.get("event")
            if event is None:
                self.replies[message["id"]].put(message)
                continue
            with self.events_changed:
                self.events.append(message)
                self.events_changed.notify_all()
            if event in ("open", "refused"):
                self.opened.put(message)
            elif event == "call":
                self.calls.put(message)
        self.opened.put({"event": "refused", "message": self.process.stderr.read() if self.process.stderr else ""})

    def _request(self, op: str, timeout: float = 20, **fields) -> dict:
        with self.lock:
            request_id = next(self.ids)
            waiter = self.replies[request_id] = queue.Queue()
            self.process.stdin.write(json.dumps({"id": request_id, "op": op, **fields}) + "\n")
            self.process.stdin.flush()
        reply = waiter.get(timeout=timeout)
        del self.replies[request_id]
        if not reply["ok"]:
            raise RpcCallError(reply["error"]["code"], reply["error"]["message"])
        return reply["result"]

    def call(self, action: str, payload: dict) -> dict:
        """Send a CALL; the answer, validated by ocpp-rpc against the OCPP schema."""
        return self._request("call", action=action, payload=payload)

    def respond(self, action: str, response: dict | None = None, *, error: dict | None = None, delay_ms: int = 0):
        """How to answer the server's next `action` CALLs (a payload, or a CALLERROR)."""
        self._request("respond", action=action, response=response, error=error, delayMs=delay_ms)

    def raw(self, frame: str) -> None:
        self._request("raw", frame=frame)

    def next_call(self, timeout: float = 10) -> dict:
        """The next CALL the server made to this charger: {action, payload, messageId}."""
        return self.calls.get(timeout=timeout)

    @property
    def strict_failures(self) -> list[dict]:
        """Every message ocpp-rpc found breaking the OCPP schema, in either direction."""
        return [e for e in self.events if e["event"] == "strictValidationFailure"]

    def wait_event(self, matches, timeout: float = 5) -> dict:
        """The first event for which `matches(event)` is true, waiting up to `timeout` for it."""
        deadline = time.monotonic() + timeout
        with self.events_changed:
            while True:
                found = next((e for e in self.events if matches(e)), None)
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0:
                    break
                self.events_changed.wait(remaining)
        if found is None:
            raise TimeoutError(f"no matching event in {timeout} s: {self.events[-5:]}")
        return found

    def raw_answer(self, unique_id: str, timeout: float = 5) -> list:
        """The frame the server sent in answer to a raw frame with this message id."""

        def answers(event: dict) -> bool:
            if event["event"] != "rawIn":
                return False
            frame = json.loads(event["message"])
            return frame[0] in (3, 4) and frame[1] == unique_id

        return json.loads(self.wait_event(answers, timeout)["message"])

    def close_code(self, timeout: float = 5) -> int:
        """The close code, once the server has closed the connection."""
        return self.wait_event(lambda e: e["event"] == "close", timeout)["code"]

    def close(self) -> None:
        if self.process.poll() is None:
            if not any(e["event"] == "close" for e in self.events):
                # No reply to wait for: the process exits as soon as the socket is closed.
                try:
                    with self.lock:
                        self.process.stdin.write(json.dumps({"id": next(self.ids), "op": "close"}) + "\n")
                        self.process.stdin.flush()
                except OSError:
                    pass
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextmanager
def strict_charger(endpoint: str, identity: str, **options) -> Iterator[RpcCharger]:
    """An RpcCharger that, once closed, fails the test if ocpp-rpc found any message breaking the schema."""
    charger = RpcCharger(endpoint, identity, **options)
    try:
        yield charger
    finally:
        charger.close()
    assert charger.strict_failures == [], charger.strict_failures
