"""The API's one error format: {"error": {"code": "...", "message": "..."}}, and its OpenAPI description."""

import logging

from django.conf import settings
from django.http import Http404, JsonResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from csms import health, shutdown

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A failure a service reports to whoever called it; the API answers it with its code and status."""

    code = "error"
    http_status = status.HTTP_400_BAD_REQUEST
    # True for a failure another node may not have (the charger's socket closed as this node shuts
    # down): while it drains, the API answers 503 with Retry-After instead.
    retry_elsewhere_while_draining = False


class ApiError(exceptions.APIException):
    def __init__(self, status_code: int, code: str, message: str):
        super().__init__(message, code)
        self.status_code = status_code
        self.error_code = code


class Conflict(ApiError):
    def __init__(self, message: str):
        super().__init__(status.HTTP_409_CONFLICT, "conflict", message)


CODES = [
    (exceptions.ValidationError, "validation_error"),
    (exceptions.ParseError, "validation_error"),
    (exceptions.NotAuthenticated, "unauthorized"),
    (exceptions.AuthenticationFailed, "unauthorized"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "rate_limited"),
]

MISSING_KEY = "Send an API key in the X-API-Key header (or Authorization: Bearer <key>)."


def validated(serializer_class: type[serializers.Serializer], data) -> dict:
    """`data` as `serializer_class` validates it; a 400 naming the first bad field when it does not."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def exactly_one_of(attrs: dict, *names: str) -> dict:
    """A serializer's `attrs` when exactly one of the fields `names` was sent; else a 400 naming the first."""
    if sum(name in attrs for name in names) != 1:
        raise serializers.ValidationError({names[0]: f"send exactly one of {', '.join(names)}."})
    return attrs


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def first_message(detail, path: str = "") -> str:
    """'chargeBoxId: This field is required.' from DRF's nested error detail."""
    if isinstance(detail, dict):
        for name, value in detail.items():
            name = "" if name == "non_field_errors" else str(name)
            return first_message(value, f"{path}.{name}" if path and name else path or name)
        return path
    if isinstance(detail, list) and detail:
        if all(isinstance(item, (dict, list)) for item in detail):
            for index, item in enumerate(detail):
                if item:
                    return first_message(item, f"{path}[{index}]")
        return first_message(detail[0], path)
    return f"{path}: {detail}" if path else str(detail)


def exception_handler(exc, context):
    if isinstance(exc, DomainError) and exc.retry_elsewhere_while_draining and health.draining.is_set():
        # This node closed the charger's socket as it shuts down: the charger reconnects to another
        # node, where the command can be sent again.
        message = f"{exc}: this node is shutting down; send it again in a few seconds"
        return Response(
            error_body("unavailable", message), status=503, headers={"Retry-After": str(shutdown.RETRY_AFTER)}
        )
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, str(exc)), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    response = drf_exception_handler(exc, context)
    if response is None:
        if settings.DEBUG:
            return None  # Django's debug page
        # A bug of ours: still answer in the API's format, and log it with its traceback.
        log.error("unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response(error_body("internal_error", "Internal server error."), status=500)
    if isinstance(exc, ApiError):
        code = exc.error_code
    else:
        code = next((c for cls, c in CODES if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        message = first_message(exc.detail)
    elif isinstance(exc, exceptions.NotAuthenticated):
        message = MISSING_KEY
    else:
        message = str(exc.detail)
    response.data = error_body(code, message)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response.status_code = status.HTTP_401_UNAUTHORIZED
    return response


def api_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", f"No endpoint at {request.path}."), status=404)


# OpenAPI: the error body, and one documented response per status an endpoint can answer.


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Machine-readable: validation_error, unauthorized, forbidden, not_found, ..."
    )
    message = serializers.CharField(help_text="For people; a validation message starts with the field's name.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERRORS = {
    400: ("validation_error", "The body or a query parameter is invalid.", "chargeBoxId: This field is required."),
    401: ("unauthorized", "No API key, or an invalid or revoked one.", "Invalid or revoked API key."),
    403: ("forbidden", "The API key lacks the scope.", "This API key lacks the scope write:charge_points."),
    404: ("not_found", "No such charger in your organisation.", "Charger CP-404 not found."),
    408: ("timeout", "The charger did not answer in time.", "CP-001 did not answer Reset within 10 s"),
    409: ("conflict", "Already exists.", "A charger with chargeBoxId CP-001 is already registered."),
    422: ("charge_point_offline", "The charger is not connected.", "CP-001 is not connected"),
    429: ("rate_limited", "Too many commands to this charger.", "more than 10 commands per second to CP-001"),
    503: (
        "bus_unavailable",
        "The command bus (Redis) could not be reached; or `unavailable`: the node is shutting down (with "
        "Retry-After: send the command again)",
        "the command bus is unreachable",
    ),
    502: ("charger_error", "The charger answered with a CALLERROR.", "NotImplemented: Reset is not supported"),
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """{status: OpenApiResponse} for `extend_schema(responses=...)`, each with an example."""
    responses = {}
    for code in statuses:
        error_code, description, message = ERRORS[code]
        responses[code] = OpenApiResponse(
            response=ErrorSerializer,
            description=description,
            examples=[OpenApiExample(error_code, value=error_body(error_code, message), response_only=True)],
        )
    return responses
