"""Debian's nginx, started by a test in front of a live server with the product's TLS configuration
(deploy/nginx-ocpp-tls.conf), filled in as an operator fills it in."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port
from tests.services import required

TEMPLATE = ROOT / "deploy" / "nginx-ocpp-tls.conf"
PROXY_ADDRESS = "127.0.0.2"  # nginx connects from here: the only address the server trusts
MAIN = """daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    include {tmp}/ocpp-tls.conf;
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        if required():
            pytest.fail("CSMS_REQUIRE_SERVICES is set but nginx is not installed (make install)")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    return found


class Nginx:
    def __init__(self, tmp: Path, *, csms_port: int, server_cert: Path, server_key: Path, charger_ca: Path):
        self.port = free_port()
        values = {
            "LISTEN": f"127.0.0.1:{self.port}", "CSMS": f"127.0.0.1:{csms_port}", "PROXY_ADDRESS": PROXY_ADDRESS,
            "SERVER_CERT": str(server_cert), "SERVER_KEY": str(server_key), "CHARGER_CA": str(charger_ca),
        }  # fmt: skip
        config = TEMPLATE.read_text()
        for name, value in values.items():
            config = config.replace("${" + name + "}", value)
        (tmp / "ocpp-tls.conf").write_text(config)
        (tmp / "nginx.conf").write_text(MAIN.format(tmp=tmp))
        self.log = tmp / "error.log"
        self.process = subprocess.Popen(
            [nginx_binary(), "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(self.log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"nginx did not start: {self.log.read_text() if self.log.exists() else ''}")
                time.sleep(0.1)

    @property
    def wss(self) -> str:
        return f"wss://127.0.0.1:{self.port}/ocpp"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
