"""Schemathesis against the live API, from its own OpenAPI schema: no request it can build gets a 5xx."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from commands.models import Command

ST = Path(sys.executable).with_name("st")


@pytest.fixture
def real_data(charger, acme):
    """A registered charger and a command in the log, so that some generated requests find something."""
    Command.objects.create(organisation=acme, charger=charger, action="Reset", request={"type": "Soft"})


def test_no_request_built_from_the_schema_gets_a_server_error(server, acme_key, real_data, tmp_path):
    if not ST.exists() and shutil.which("st") is None:
        pytest.fail("schemathesis is not installed (pip install -r requirements.txt)")
    config = tmp_path / "schemathesis.toml"
    # Path parameters pinned to Acme's charger, so that generated requests reach real objects, not 404s.
    config.write_text('parameters = { "path.chargeBoxId" = "CP-1" }\n')
    result = subprocess.run(
        [
            str(ST if ST.exists() else shutil.which("st")),
            "--config-file",
            str(config),
            "run",
            f"{server.http}/api/v1/schema/",
            "--checks",
            "not_a_server_error",
            # Unregistering the one charger would make every later request a 404 (test_api_chargers covers it).
            "--exclude-operation-id",
            "chargers_unregister",
            "--phases",
            "examples,fuzzing,stateful",
            "--max-examples",
            "6",
            "--seed",
            "20260206",
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--header",
            f"X-API-Key: {acme_key}",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,  # schemathesis keeps a cache directory where it runs
        capture_output=True,
        text=True,
        timeout=300,
    )
    failures = result.stdout.partition("FAILURES")[2].partition("WARNINGS")[0] or result.stdout[-3000:]
    assert result.returncode == 0, failures[:6000] + result.stderr[-2000:]
