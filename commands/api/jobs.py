"""Tracked jobs over the API: firmware and diagnostics jobs of a charger, and fleet jobs."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from chargers.api.serializers import charger_id_field
from commands import fleet
from commands.api import views
from commands.api.views import ERRORS, READ_ERRORS, charger_of, requester_of
from commands.models import FleetJob
from csms.errors import exactly_one_of, validated
from csms.openapi import endpoint_base
from csms.pagination import page_of, paginated

# The commands a fleet job may run: the command endpoints with no path parameters and no per-charger
# preparation, by their path ("reset", "firmware/update", ...). Payloads are checked by their own serializers.
FLEET_COMMANDS = {
    endpoint.path: endpoint
    for endpoint in [*views.ENDPOINTS, views.DATA_TRANSFER]
    if "<" not in endpoint.path and endpoint.prepare is None
}
DIAGNOSTICS = next(endpoint for endpoint in views.ENDPOINTS if endpoint.path == "diagnostics")


REFUSAL = (
    'Why a NotSent job did not start, else "": the charger\'s answer with its 2.0.1 statusInfo '
    '("InvalidCertificate (InvalidCert signer unknown)"), or the command\'s failure (offline, timeout, CALLERROR).'
)


class StatusRow(drf.Serializer):
    status = drf.CharField()
    receivedAt = drf.DateTimeField(source="received_at")


class FirmwareJobOutput(drf.Serializer):
    id = drf.IntegerField()
    commandId = drf.UUIDField(source="command_id", allow_null=True)
    location = drf.CharField()
    retrieveDate = drf.DateTimeField(source="retrieve_date")
    retries = drf.IntegerField(allow_null=True)
    retryInterval = drf.IntegerField(source="retry_interval", allow_null=True)
    status = drf.CharField(help_text="Scheduled, or the charger's latest FirmwareStatusNotification status while "
                           "the job runs (DownloadScheduled, Downloading, DownloadPaused, Downloaded, "
                           "SignatureVerified, InstallScheduled, Installing, InstallRebooting, Installed, Idle); "
                           "at the end DownloadFailed, InvalidSignature, InstallationFailed, "
                           "InstallVerificationFailed, TimedOut, Confirmed (the boot into the installed firmware "
                           "reported a new version), VersionUnchanged or NotSent.")  # fmt: skip
    firmwareVersionBefore = drf.CharField(source="firmware_version_before")
    firmwareVersionAfter = drf.CharField(source="firmware_version_after",
                                         help_text="From the latest boot during the installation (a 1.6 charger boots "
                                         "after Installed, a 2.0.1 station before it).")  # fmt: skip
    refusal = drf.CharField(help_text=REFUSAL)
    triggeredAt = drf.DateTimeField(source="triggered_at", allow_null=True)
    createdAt = drf.DateTimeField(source="created_at")
    finishedAt = drf.DateTimeField(source="finished_at", allow_null=True)
    history = StatusRow(many=True, help_text="FirmwareStatusNotifications, oldest first.")


class DiagnosticsJobOutput(drf.Serializer):
    id = drf.IntegerField()
    commandId = drf.UUIDField(source="command_id", allow_null=True)
    location = drf.SerializerMethodField()
    fileName = drf.CharField(source="file_name")
    status = drf.CharField(help_text="Requested, Uploading, Uploaded, UploadFailed, Idle, TimedOut, NoFile or NotSent.")
    refusal = drf.CharField(help_text=REFUSAL)
    received = drf.SerializerMethodField(help_text="Whether the CSMS holds the uploaded file.")
    uploadedAt = drf.DateTimeField(source="uploaded_at", allow_null=True)
    createdAt = drf.DateTimeField(source="created_at")
    finishedAt = drf.DateTimeField(source="finished_at", allow_null=True)
    history = StatusRow(many=True, help_text="DiagnosticsStatusNotifications, oldest first.")

    def get_location(self, job) -> str:
        # Our own upload URL carries the job's token: not shown again.
        return job.location.rsplit("/", 2)[0] + "/…/" if job.upload_token_digest else job.location

    def get_received(self, job) -> bool:
        return bool(job.file)


class FirmwareJobList(drf.Serializer):
    chargeBoxId = drf.CharField()
    jobs = FirmwareJobOutput(many=True)


class DiagnosticsJobList(drf.Serializer):
    chargeBoxId = drf.CharField()
    jobs = DiagnosticsJobOutput(many=True)


def jobs_get(related: str, what: str, output: type[drf.Serializer], answer: type[drf.Serializer]):
    """A `get` answering the charger's latest 50 `related` jobs, newest first, each with its status history;
    the operation is named by `related`, and its summary says `what` they are."""

    @extend_schema(
        operation_id=related,
        summary=f"The charger's {what}, newest first, each with its status history",
        tags=["commands"],
        responses={200: answer, **READ_ERRORS},
    )
    def get(self, request, chargeBoxId: str) -> Response:
        charger = charger_of(request, chargeBoxId)
        rows = getattr(charger, related).prefetch_related("history").order_by("-created_at", "-id")[:50]
        jobs = [{**output(job).data, "history": StatusRow(job.history.order_by("received_at", "id"), many=True).data}
                for job in rows]  # fmt: skip
        return Response({"chargeBoxId": charger.charge_box_id, "jobs": jobs})

    return get


class FirmwareJobsView(APIView):
    get = jobs_get("firmware_jobs", "firmware updates", FirmwareJobOutput, FirmwareJobList)


class DiagnosticsView(views.command_view(DIAGNOSTICS)):
    get = jobs_get("diagnostics_jobs", "diagnostics requests", DiagnosticsJobOutput, DiagnosticsJobList)


# Fleet jobs.


class FleetFilter(drf.Serializer):
    vendor = drf.CharField(required=False)
    model = drf.CharField(required=False)
    firmwareVersion = drf.CharField(required=False)
    if "site" in fleet.FILTERS:
        site = drf.CharField(required=False, help_text="The site's name.")


class FleetJobInput(drf.Serializer):
    command = drf.ChoiceField(sorted(FLEET_COMMANDS), help_text="A command path of the command API.")
    payload = drf.DictField(help_text="The body that command's endpoint takes; checked the same way.")
    chargeBoxIds = drf.ListField(child=drf.CharField(max_length=64), required=False, allow_empty=False)
    filter = FleetFilter(required=False, help_text="Chargers matching all the given fields.")
    concurrency = drf.IntegerField(min_value=1, max_value=100, default=5)

    def validate(self, attrs):
        return exactly_one_of(attrs, "chargeBoxIds", "filter")


class FleetJobOutput(drf.Serializer):
    id = drf.IntegerField()
    command = drf.CharField()
    payload = drf.DictField(source="params")
    selection = drf.DictField()
    concurrency = drf.IntegerField()
    status = drf.CharField(help_text="running or finished.")
    total = drf.IntegerField()
    done = drf.IntegerField(help_text="Chargers that answered (whatever they answered).")
    failed = drf.IntegerField(help_text="Chargers offline, silent or answering with an error.")
    createdAt = drf.DateTimeField(source="created_at")
    finishedAt = drf.DateTimeField(source="finished_at", allow_null=True)


class FleetTargetOutput(drf.Serializer):
    chargeBoxId = charger_id_field()
    status = drf.CharField(help_text="queued, running, done or failed.")
    commandId = drf.UUIDField(source="command_id", allow_null=True)
    answer = drf.DictField(allow_null=True, help_text="The command's reply, as its endpoint gives it.")
    errorCode = drf.CharField(source="error_code")
    error = drf.CharField()


class FleetJobDetail(FleetJobOutput):
    results = FleetTargetOutput(source="targets", many=True)


FleetJobPage = page_of("FleetJobPage", "fleetJobs", FleetJobOutput)
FleetJobView = endpoint_base(["fleet jobs"])


class FleetJobCollectionView(FleetJobView):
    @extend_schema(
        operation_id="fleet_job_list",
        summary="Fleet jobs, newest first",
        responses={200: FleetJobPage, **READ_ERRORS},
    )
    def get(self, request) -> Response:
        rows = FleetJob.objects.filter(organisation=request.user.organisation)
        return paginated(request, rows, key="fleetJobs", serialize=lambda page: FleetJobOutput(page, many=True).data)

    @extend_schema(
        operation_id="fleet_job_create",
        summary="Run one command on many chargers",
        description="The chargers are named (chargeBoxIds) or chosen by a filter; at most `concurrency` run "
        "at once. The job runs in the background: follow it with GET /fleet-jobs/{id}.",
        request=FleetJobInput,
        responses={201: FleetJobOutput, **ERRORS},
        examples=[
            OpenApiExample(
                "Request",
                value={"command": "firmware/update", "payload": {"location": "https://fw.example.com/v2.bin",
                       "retrieveDate": "2026-02-10T14:00:00Z"}, "filter": {"vendor": "Acme", "model": "AC22"},
                       "concurrency": 10},
                request_only=True,
            )
        ],
    )  # fmt: skip
    def post(self, request) -> Response:
        data = validated(FleetJobInput, request.data)
        endpoint = FLEET_COMMANDS[data["command"]]
        try:
            params = validated(endpoint.body, data["payload"])
        except drf.ValidationError as invalid:
            raise drf.ValidationError({"payload": invalid.detail}) from None
        organisation = request.user.organisation
        ids = data.get("chargeBoxIds")
        chargers = fleet.fleet_chargers(organisation=organisation, charge_box_ids=ids, filters=data.get("filter"))
        if ids is not None:
            unknown = sorted(set(ids) - set(chargers.values_list("charge_box_id", flat=True)))
            if unknown:
                raise drf.ValidationError({"chargeBoxIds": f"unknown chargers: {', '.join(unknown)}"})
        job = fleet.fleet_job_create(
            organisation=organisation,
            command=endpoint.path,
            neutral_command=endpoint.command,
            params=params,
            chargers=chargers,
            selection={"chargeBoxIds": ids} if ids is not None else {"filter": data["filter"]},
            concurrency=data["concurrency"],
            requester=requester_of(request),
        )
        return Response(FleetJobOutput(job).data, status=201)


class FleetJobDetailView(FleetJobView):
    @extend_schema(
        operation_id="fleet_job_get",
        summary="A fleet job's progress and each charger's outcome",
        responses={200: FleetJobDetail, **READ_ERRORS},
    )
    def get(self, request, jobId: int) -> Response:
        job = get_object_or_404(FleetJob, pk=jobId, organisation=request.user.organisation)
        return Response(FleetJobDetail(job).data)
