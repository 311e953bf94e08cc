from django.contrib import admin
from django.urls import include, path
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from chargers.uploads import diagnostics_upload
from csms.errors import api_not_found

api_v1 = [
    path("", include("chargers.api.urls")),
    path("", include("commands.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("pki.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("dashboard/", include("console.urls")),
    path("api/v1/", include(api_v1)),
    # Chargers upload diagnostics here (the location the CSMS hands them), authorised by the job's token.
    path("diagnostics/upload/<int:job_id>/<str:token>/", diagnostics_upload),
    path("diagnostics/upload/<int:job_id>/<str:token>/<str:file_name>", diagnostics_upload),
]


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return page_not_found(request, exception)


handler404 = not_found
