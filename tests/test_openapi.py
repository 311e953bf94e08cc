"""The OpenAPI schema: generated from the code without warnings, complete, and browsable."""

import re
import subprocess
import sys

import requests
import yaml

from tests.conftest import ROOT

CHARGER_OPERATIONS = {
    "/api/v1/chargers": {"get", "post"},
    "/api/v1/chargers/{chargeBoxId}": {"get", "patch", "delete"},
    "/api/v1/chargers/{chargeBoxId}/connectors/{connectorId}/status": {"get"},
    "/api/v1/chargers/{chargeBoxId}/transactions": {"get"},
    "/api/v1/status": {"get"},
}


def test_the_schema_generates_and_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr
    assert yaml.safe_load(out.read_text())["paths"]


def served_schema(server) -> dict:
    response = requests.get(f"{server.http}/api/v1/schema/", params={"format": "json"})
    assert response.status_code == 200, response.text[:300]
    return response.json()


def test_the_schema_is_served_without_a_key_and_documents_every_charger_endpoint(server):
    schema = served_schema(server)
    for path, methods in CHARGER_OPERATIONS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_every_operation_has_an_example_and_documents_its_errors(server):
    schema = served_schema(server)
    for path, methods in CHARGER_OPERATIONS.items():
        for method in methods:
            operation = schema["paths"][path][method]
            where = f"{method.upper()} {path}"
            success = next(code for code in operation["responses"] if code.startswith("2"))
            assert operation["responses"][success]["content"]["application/json"]["examples"], where
            if "requestBody" in operation:
                assert operation["requestBody"]["content"]["application/json"]["examples"], where
            assert {"401", "403"} <= set(operation["responses"]), where
            if "{chargeBoxId}" in path:
                assert "404" in operation["responses"], where
            for code, response in operation["responses"].items():
                if not code.startswith("2"):
                    content = response["content"]["application/json"]
                    assert content["schema"] == {"$ref": "#/components/schemas/Error"}, where
                    assert content["examples"], (where, code)
            assert operation["security"] == [{"ApiKey": []}, {"Bearer": []}], where


def test_the_schema_names_the_api_key_header_and_camel_case_fields(server):
    schema = served_schema(server)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["Bearer"]["scheme"] == "bearer"
    assert schema["paths"]["/api/v1/chargers"]["post"]["responses"]["409"]
    detail = schema["components"]["schemas"]["ChargerDetail"]["properties"]
    assert {"chargeBoxId", "isOnline", "serialNumber", "firmwareVersion", "connectionUrl", "connectors"} <= set(detail)
    assert not [name for name in detail if "_" in name]
    registration = schema["components"]["schemas"]["ChargerRegistrationRequest"]
    assert registration["required"] == ["chargeBoxId"]
    assert "password" not in schema["components"]["schemas"]["RegisteredCharger"]["properties"]


def test_the_interactive_docs_are_served_with_local_assets(server):
    page = requests.get(f"{server.http}/api/v1/docs/")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "/api/v1/schema/" in page.text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any("swagger-ui" in asset for asset in assets), page.text[:500]
    for asset in assets:
        assert requests.get(f"{server.http}{asset}").status_code == 200, asset
    assert "//cdn" not in page.text and "unpkg.com" not in page.text
