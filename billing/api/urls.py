from django.urls import path

from billing.api import views

urlpatterns = [
    path("tariffs", views.TariffCollectionView.as_view()),
    path("tariffs/price", views.TariffPriceView.as_view()),
    path("tariffs/assign", views.TariffAssignView.as_view()),
    path("tariffs/time-zone", views.TariffTimeZoneView.as_view()),
    path("tariffs/<str:tariffId>", views.TariffDetailView.as_view()),
    path("cdrs", views.CdrCollectionView.as_view()),
    path("cdrs/<str:cdrId>", views.CdrDetailView.as_view()),
    path("cdrs/<str:cdrId>/credit", views.CdrCreditView.as_view()),
]
