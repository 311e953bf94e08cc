from django.urls import path

from compat import ocpp16_api, ocpp_core

ocpp16 = [path(route, view.as_view()) for route, view in ocpp16_api.VIEWS]
ocpp_core_api = [path(route, view.as_view()) for route, view in ocpp_core.VIEWS]
