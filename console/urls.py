from django.urls import path

from console import views

app_name = "console"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("data/", views.dashboard_data, name="dashboard-data"),
    path("sessions/", views.session_figures, name="session-figures"),
]
