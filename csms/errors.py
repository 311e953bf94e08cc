"""The API's one error format: {"error": {"code": "...", "message": "..."}}."""

from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from commands.bus import ChargerError, ChargerOffline, CommandFailed, CommandInvalid, CommandTimeout, RateLimited


class ApiError(exceptions.APIException):
    def __init__(self, status_code: int, code: str, message: str):
        super().__init__(message, code)
        self.status_code = status_code
        self.error_code = code


class Conflict(ApiError):
    def __init__(self, message: str):
        super().__init__(status.HTTP_409_CONFLICT, "conflict", message)


COMMAND_FAILURES = {
    CommandInvalid: status.HTTP_400_BAD_REQUEST,
    ChargerOffline: status.HTTP_422_UNPROCESSABLE_ENTITY,
    CommandTimeout: status.HTTP_408_REQUEST_TIMEOUT,
    RateLimited: status.HTTP_429_TOO_MANY_REQUESTS,
    ChargerError: status.HTTP_502_BAD_GATEWAY,
}

CODES = [
    (exceptions.ValidationError, "validation_error"),
    (exceptions.ParseError, "validation_error"),
    (exceptions.NotAuthenticated, "unauthorized"),
    (exceptions.AuthenticationFailed, "unauthorized"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "rate_limited"),
]


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
    if isinstance(exc, CommandFailed):
        return Response(error_body(exc.code, str(exc)), status=COMMAND_FAILURES.get(type(exc), 400))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        code = exc.error_code
    else:
        code = next((c for cls, c in CODES if isinstance(exc, cls)), "error")
    message = first_message(exc.detail) if isinstance(exc, exceptions.ValidationError) else str(exc.detail)
    response.data = error_body(code, message)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response.status_code = status.HTTP_401_UNAUTHORIZED
    return response


def api_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", f"No endpoint at {request.path}."), status=404)
