from django.urls import path

from webhooks.api import views

urlpatterns = [
    path("webhooks", views.WebhookCollectionView.as_view()),
    path("webhooks/<int:webhookId>", views.WebhookDetailView.as_view()),
    path("webhooks/<int:webhookId>/deliveries", views.DeliveryListView.as_view()),
]
