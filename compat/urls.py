from django.urls import path

from compat import ocpp16_api

ocpp16 = [path(route, view.as_view()) for route, view in ocpp16_api.VIEWS]
