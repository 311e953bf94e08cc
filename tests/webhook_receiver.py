"""A real HTTP server in a thread that receives webhooks, checks their signatures and can fail on purpose."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, secret: str, *, fail_first: int = 0, delay: float = 0.0):
        self.secret, self.fail_first, self.delay = secret, fail_first, delay
        self.received: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                with receiver.lock:
                    failing = len(receiver.received) < receiver.fail_first
                    receiver.received.append(
                        {"body": body, "json": json.loads(body), "headers": dict(self.headers), "at": time.time(),
                         "valid": receiver.valid(self.headers, body)}
                    )  # fmt: skip
                time.sleep(receiver.delay)
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_port}/hook"

    def valid(self, headers, body: str) -> bool:
        timestamp = headers.get("X-CSMS-Timestamp", "")
        expected = hmac.new(self.secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(headers.get("X-CSMS-Signature", ""), f"sha256={expected}")

    def events(self, name: str) -> list[dict]:
        with self.lock:
            return [r for r in self.received if r["json"]["event"] == name]

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
