"""Site endpoints: the supply that load balancing shares among a site's chargers."""

from django.urls import path

from smart_charging.api import sites

urlpatterns = [
    path("sites", sites.SiteCollectionView.as_view(), name="sites"),
    path("sites/<int:id>", sites.SiteDetailView.as_view(), name="site"),
    path("sites/<int:id>/allocation", sites.SiteAllocationView.as_view(), name="site-allocation"),
]
