"""Drive `tests/js/charger.js`: a charger on the npm package ocpp-rpc in strict mode."""

import itertools
import json
import queue
import subprocess
import threading
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "js" / "charger.js"


class RpcCallError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Refused(Exception):
    pass


class RpcCharger:
    """A charger process. `call` sends a CALL to the server; `calls` queues the server's CALLs."""

    def __init__(self, endpoint: str, identity: str, protocol: str = "ocpp1.6", password: str | None = None):
        args = ["node", str(SCRIPT), endpoint, identity, protocol] + ([password] if password else [])
        self.process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        self.ids = itertools.count(1)
        self.replies: dict[int, queue.Queue] = {}
        self.calls: queue.Queue = queue.Queue()
        self.events: list[dict] = []
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
            self.events.append(message)
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

    def close(self) -> None:
        if self.process.poll() is None:
            # The charger exits as soon as its socket is closed, before it could acknowledge the request.
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
