from django.contrib import admin
from django.urls import include, path
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from chargers.uploads import diagnostics_upload
from compat import urls as compat
from csms.errors import api_not_found

api_v1 = [
    path("", include("chargers.api.urls")),
    path("", include("commands.api.urls")),
    path("", include("webhooks.api.urls")),
    path("ocpp16/", include(compat.ocpp16)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
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
