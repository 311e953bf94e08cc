from django.urls import path

from compat import charger_operations, ocpp16_api, ocpp_core

ocpp16 = [path(route, view.as_view()) for route, view in ocpp16_api.VIEWS]
ocpp_core_api = [path(route, view.as_view()) for route, view in ocpp_core.VIEWS]
charger_operations_api = [path(route, view.as_view()) for route, view in charger_operations.VIEWS]
