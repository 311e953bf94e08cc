from django.urls import path

from pki.api import views

CHARGER = "chargers/<str:chargeBoxId>/"

urlpatterns = [
    *(path(CHARGER + route, view.as_view()) for route, view in views.VIEWS),
    path(CHARGER + "security-events", views.SecurityEventsView.as_view()),
    path(CHARGER + "certificates", views.IssuedCertificatesView.as_view()),
    path(CHARGER + "security-profile", views.SecurityProfileView.as_view()),
    path(CHARGER + "security-profile/upgrade", views.SecurityProfileUpgradeView.as_view()),
    path(CHARGER + "password/rotate", views.PasswordRotateView.as_view()),
]
