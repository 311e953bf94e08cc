"""The operator console's pages in the operators' time zone; the API, the exports and OCPP stay in UTC."""

import zoneinfo

from django.conf import settings
from django.utils import timezone

CONSOLE_PATHS = ("/admin/", "/dashboard/")


class ConsoleTimeZone:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(CONSOLE_PATHS):
            return self.get_response(request)
        timezone.activate(zoneinfo.ZoneInfo(settings.CSMS_CONSOLE_TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
