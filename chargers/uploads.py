"""Where chargers upload diagnostics when the CSMS asked them to upload to itself.

The URL carries the job id and a per-job token (stored hashed), so a charger needs no other
credentials. Chargers upload over HTTP either as multipart/form-data (POST) or as the raw file
body (PUT or POST); the file name is the last path segment, the form file's name, or the job's.
"""

import tempfile

from django.conf import settings
from django.core.files import File
from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chargers.services.jobs import diagnostics_upload_receive

CHUNK = 64 * 1024


@csrf_exempt
@require_http_methods(["POST", "PUT"])
def diagnostics_upload(request, job_id: int, token: str, file_name: str = ""):
    if request.content_type == "multipart/form-data":
        upload = next(iter(request.FILES.values()), None)
        if upload is None:
            return HttpResponse("no file in the form\n", status=400, content_type="text/plain")
        job = diagnostics_upload_receive(job_id=job_id, token=token, file_name=file_name or upload.name, content=upload)
    else:
        with tempfile.TemporaryFile() as body:
            size = 0
            # Read the stream, not request.body: files are larger than DATA_UPLOAD_MAX_MEMORY_SIZE.
            while chunk := request.read(CHUNK):
                size += len(chunk)
                if size > settings.CSMS_DIAGNOSTICS_MAX_BYTES:
                    return HttpResponse("file too large\n", status=413, content_type="text/plain")
                body.write(chunk)
            body.seek(0)
            job = diagnostics_upload_receive(job_id=job_id, token=token, file_name=file_name, content=File(body))
    if job is None:
        return HttpResponseNotFound("unknown upload location\n", content_type="text/plain")
    return HttpResponse(status=201)
