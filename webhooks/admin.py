from django.contrib import admin

from accounts.scoping import OrganisationScopedAdmin, WrittenBySystem
from webhooks.models import Delivery, Webhook


@admin.register(Webhook)
class WebhookAdmin(OrganisationScopedAdmin):
    list_display = ["url", "organisation", "active", "created_at"]
    list_filter = ["active"]
    # The secret is set through the API only; it is stored encrypted and never shown.
    readonly_fields = ["organisation", "url", "events", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Delivery)
class DeliveryAdmin(WrittenBySystem, OrganisationScopedAdmin):
    organisation_lookup = "webhook__organisation_id"
    list_display = ["created_at", "event", "webhook", "attempt", "response_status", "error", "succeeded"]
    list_filter = ["succeeded", "event"]
    list_select_related = ["webhook"]
