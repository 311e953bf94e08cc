"""Diagnostics as tracked jobs, and the CSMS receiving the upload itself at a per-job URL."""

from urllib.parse import urlsplit

import pytest
import requests
from django.core.files.base import ContentFile
from django.test import Client

from chargers.models import DiagnosticsJob
from chargers.services.jobs import diagnostics_job_create
from tests.conftest import eventually
from tests.ocpp_rpc import strict_charger

pytestmark = pytest.mark.node

CONTENT = b"PK\x03\x04 diagnostics of CP-1 " * 100


def jobs(api) -> list[dict]:
    answer = api.get(f"{api.base}/chargers/CP-1/diagnostics")
    assert answer.status_code == 200, answer.text
    return answer.json()["jobs"]


def request_upload(api, cp, body: dict) -> str:
    """Ask for diagnostics; the location the charger was given."""
    cp.respond("GetDiagnostics", {"fileName": "diag-001.zip"})
    answer = api.post(f"{api.base}/chargers/CP-1/diagnostics", json=body)
    assert answer.status_code == 200 and answer.json()["fileName"] == "diag-001.zip", answer.text
    return cp.next_call()["payload"]["location"]


def on(server, location: str) -> str:
    """The location as this test server serves it (CSMS_PUBLIC_HTTP_URL names the public host)."""
    return server.http + urlsplit(location).path


@pytest.mark.parametrize("body", [{}, {"location": "csms"}])
def test_it_hands_the_charger_its_own_upload_url_and_keeps_the_file_put_there(background, bg_api, charger, body):
    with strict_charger(background.ws, "CP-1") as cp:
        location = request_upload(bg_api, cp, body)
        assert location.startswith("http://127.0.0.1:8000/diagnostics/upload/")
        cp.call("DiagnosticsStatusNotification", {"status": "Uploading"})
        put = requests.put(on(background, location) + "diag-001.zip", data=CONTENT)
        assert put.status_code == 201, put.text
        cp.call("DiagnosticsStatusNotification", {"status": "Uploaded"})
    job = jobs(bg_api)[0]
    assert job["status"] == "Uploaded" and job["received"] and job["fileName"] == "diag-001.zip"
    assert [h["status"] for h in job["history"]] == ["Uploading", "Uploaded"]
    assert location.split("/")[-2] not in job["location"]  # the token is not shown again
    stored = DiagnosticsJob.objects.get(pk=job["id"])
    assert stored.file.read() == CONTENT and stored.file.name.endswith(".zip")


def test_it_takes_a_multipart_post_too(background, bg_api, charger):
    with strict_charger(background.ws, "CP-1") as cp:
        location = request_upload(bg_api, cp, {})
    posted = requests.post(on(background, location), files={"file": ("diag-001.zip", CONTENT)})
    assert posted.status_code == 201, posted.text
    assert DiagnosticsJob.objects.get().file.read() == CONTENT


def test_a_wrong_token_or_job_stores_nothing(background, bg_api, charger):
    with strict_charger(background.ws, "CP-1") as cp:
        location = request_upload(bg_api, cp, {})
    path = urlsplit(location).path.split("/")
    job_id, token = path[3], path[4]
    forged = f"{background.http}/diagnostics/upload/{job_id}/{token[:-2]}xx/d.zip"
    assert requests.put(forged, data=CONTENT).status_code == 404
    other = f"{background.http}/diagnostics/upload/{int(job_id) + 1}/{token}/d.zip"
    assert requests.put(other, data=CONTENT).status_code == 404
    assert not DiagnosticsJob.objects.get().file


def test_a_location_of_the_callers_own_is_passed_on_unchanged(background, bg_api, charger):
    with strict_charger(background.ws, "CP-1") as cp:
        location = request_upload(bg_api, cp, {"location": "ftp://uploads.example.com/diag/"})
        cp.call("DiagnosticsStatusNotification", {"status": "UploadFailed"})
    assert location == "ftp://uploads.example.com/diag/"
    job = eventually(lambda: jobs(bg_api)[0])
    assert job["location"] == location and job["status"] == "UploadFailed" and not job["received"]


def test_a_bad_location_names_the_field(bg_api, charger):
    answer = bg_api.post(f"{bg_api.base}/chargers/CP-1/diagnostics", json={"location": "somewhere"})
    assert answer.status_code == 400 and "location" in answer.text


def test_staff_download_the_file_from_the_admin_and_nobody_else_does(charger, django_user_model):
    job, _ = diagnostics_job_create(charger=charger, location=None)
    job.file.save("diag.zip", ContentFile(CONTENT))
    url = f"/admin/chargers/diagnosticsjob/{job.pk}/download/"
    assert Client().get(url).status_code == 302  # to the login page
    staff = django_user_model.objects.create_superuser("ops", "ops@example.com", "pw-long-enough")
    client = Client()
    client.force_login(staff)
    answer = client.get(url)
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == CONTENT


def test_a_2_0_1_log_request_is_followed_as_a_diagnostics_job(background, bg_api, charger, ocpp2):
    with strict_charger(background.ws, "CP-1", protocol=ocpp2) as cp:
        cp.respond("GetLog", {"status": "Accepted", "filename": "log-001.zip"})
        location = bg_api.post(f"{bg_api.base}/chargers/CP-1/diagnostics", json={}).json()
        request = cp.next_call()["payload"]
        assert request["logType"] == "DiagnosticsLog" and request["requestId"] == location["requestId"]
        job = jobs(bg_api)[0]
        assert (job["status"], job["fileName"]) == ("Requested", "log-001.zip")
        cp.call("LogStatusNotification", {"status": "Uploading", "requestId": request["requestId"]})
        put = requests.put(on(background, request["log"]["remoteLocation"]) + "log-001.zip", data=CONTENT)
        assert put.status_code == 201, put.text
        cp.call("LogStatusNotification", {"status": "Uploaded", "requestId": request["requestId"]})
        assert (jobs(bg_api)[0]["status"], jobs(bg_api)[0]["received"]) == ("Uploaded", True)

        # 2.0.1's own ways of failing end the job too.
        bg_api.post(f"{bg_api.base}/chargers/CP-1/diagnostics", json={"location": "ftp://logs.example.com/"})
        request_id = cp.next_call()["payload"]["requestId"]
        cp.call("LogStatusNotification", {"status": "PermissionDenied", "requestId": request_id})
        failed = jobs(bg_api)[0]
        assert (failed["status"], bool(failed["finishedAt"]), failed["history"][-1]["status"]) == (
            "UploadFailed", True, "PermissionDenied")  # fmt: skip

        cp.respond("GetLog", {"status": "Rejected"})
        bg_api.post(f"{bg_api.base}/chargers/CP-1/diagnostics", json={"location": "ftp://logs.example.com/"})
        cp.next_call()
        assert jobs(bg_api)[0]["status"] == "NotSent"


@pytest.mark.parametrize("answer, status, file_name", [
    ({"status": "Accepted", "filename": "log-001.zip"}, "Uploading", "log-001.zip"),
    ({"status": "Accepted"}, "NoFile", ""),
    ({"status": "Rejected"}, "NotSent", ""),
])  # fmt: skip
def test_a_2_0_1_station_names_its_log_file_or_refuses(server, api, charger, answer, status, file_name, ocpp2):
    with strict_charger(server.ws, "CP-1", protocol=ocpp2) as cp:
        cp.respond("GetLog", answer)
        sent = api.post(f"{api.base}/chargers/CP-1/diagnostics", json={"location": "ftp://logs.example.com/"})
        assert sent.status_code == 200, sent.text
        cp.call("LogStatusNotification", {"status": "Uploading", "requestId": sent.json()["requestId"]})
    job = jobs(api)[0]
    assert (job["status"], job["fileName"]) == (status, file_name)
    assert (job["finishedAt"] is None) == (status == "Uploading")
