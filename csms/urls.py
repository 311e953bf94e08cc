from django.contrib import admin
from django.urls import include, path, re_path
from django.views.defaults import page_not_found
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from chargers.uploads import diagnostics_upload
from compat import urls as compat
from csms import health
from csms.errors import api_not_found
from csms.metrics import metrics_view

api_v1 = [
    path("", include("chargers.api.urls")),
    path("", include("charging.api.urls")),
    path("", include("smart_charging.api.urls")),
    path("", include("commands.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("billing.api.urls")),
    path("ocpp16/", include(compat.ocpp16)),
    path("charger-operations/", include(compat.charger_operations_api)),
    path("", include("pki.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

# Models that moved from `chargers` to the rooms of sessions and smart charging took their admin
# pages with them: a bookmarked page of theirs leads to where it is now.
MOVED_ADMIN_PAGES = r"^admin/chargers/(?P<page>(?:transaction|idtag|chargerlocallist|unmatchedstop|metervalue|transactionevent|reservation)/.*)$"  # noqa: E501

urlpatterns = [
    # Probes and metrics for the operator's load balancer, orchestrator and Prometheus (README, "Operations").
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    re_path(MOVED_ADMIN_PAGES, RedirectView.as_view(url="/admin/charging/%(page)s", query_string=True)),
    re_path(
        r"^admin/chargers/(?P<page>installedchargingprofile/.*)$",
        RedirectView.as_view(url="/admin/smart_charging/%(page)s", query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("dashboard/", include("console.urls")),
    path("api/v1/", include(api_v1)),
    # OCPP.Core's server API, for clients written against it (compat/ocpp_core.py).
    path("API/", include(compat.ocpp_core_api)),
    # Chargers upload diagnostics here (the location the CSMS hands them), authorised by the job's token.
    path("diagnostics/upload/<int:job_id>/<str:token>/", diagnostics_upload),
    path("diagnostics/upload/<int:job_id>/<str:token>/<str:file_name>", diagnostics_upload),
]


def not_found(request, exception=None):
    if request.path.lower().startswith("/api/"):
        return api_not_found(request, exception)
    return page_not_found(request, exception)


handler404 = not_found
