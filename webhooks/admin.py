"""Webhooks in the console: add one (its secret shown once), change its URL and events, resend a failed delivery."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.scoping import CreatedWithSecret, OrganisationScopedAdmin, WrittenBySystem
from csms.forms import checkboxes
from webhooks import services
from webhooks.models import EVENTS, Delivery, Webhook
from webhooks.secrets import secret_generate

RECENT_DELIVERIES = 10


class WebhookForm(forms.ModelForm):
    events = checkboxes(EVENTS, none_chosen="Choose at least one event: a webhook without events receives nothing.")

    class Meta:
        model = Webhook
        fields = ["organisation", "url", "events", "active"]


def _secret_page(modeladmin, request, webhook: Webhook, secret: str, renewed: bool):
    """The secret, this once (kept encrypted: it signs every delivery)."""
    context = {**modeladmin.admin_site.each_context(request), "opts": modeladmin.opts, "webhook": webhook,
               "secret": secret, "renewed": renewed}  # fmt: skip
    response = TemplateResponse(request, "admin/webhooks/webhook/created.html", context)
    response["Cache-Control"] = "no-store"  # the secret is in this page only
    return response


@admin.action(description="Generate a new secret…", permissions=["change"])
def secret_renew(modeladmin, request, queryset):
    if queryset.count() != 1:
        modeladmin.message_user(request, "Choose one webhook: its new secret is shown once.", messages.WARNING)
        return None
    secret = secret_generate()
    webhook = services.webhook_update(webhook=queryset.get(), secret=secret)
    return _secret_page(modeladmin, request, webhook, secret, renewed=True)


@admin.register(Webhook)
class WebhookAdmin(CreatedWithSecret, OrganisationScopedAdmin):
    """Saved through webhooks.services as the API does; the secret is generated here, encrypted, shown once."""

    form = WebhookForm
    actions = [secret_renew]
    list_display = ["url", "organisation", "event_list", "active", "created_at"]
    list_filter = ["active"]
    list_select_related = ["organisation"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "url", "events", "active"]
        return ["organisation", "url", "events", "active", "created_at", "recent_deliveries"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["organisation", "created_at", "recent_deliveries"]

    @admin.display(description="events")
    def event_list(self, webhook):
        return ", ".join(webhook.events)

    @admin.display(description="recent deliveries")
    def recent_deliveries(self, webhook):
        rows = [
            (reverse("admin:webhooks_delivery_change", args=[d.pk]), d.created_at.isoformat(timespec="seconds"),
             d.event, d.attempt, "delivered" if d.succeeded else d.error or "failed")
            for d in webhook.deliveries.all()[:RECENT_DELIVERIES]
        ]  # fmt: skip
        listing = reverse("admin:webhooks_delivery_changelist") + f"?webhook__id__exact={webhook.pk}"
        table = format_html_join("", '<tr><td><a href="{}">{}</a></td><td>{}</td><td>#{}</td><td>{}</td></tr>', rows)
        return format_html('<table id="recent-deliveries">{}</table><a id="all-deliveries" href="{}">All '
                           "deliveries, and resend a failed one →</a>", table, listing)  # fmt: skip

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.webhook_update(webhook=obj, url=data["url"], events=list(data["events"]), active=data["active"])
            return
        secret = secret_generate()
        created = services.webhook_create(
            organisation=data["organisation"], url=data["url"], secret=secret, events=list(data["events"])
        )
        if not data["active"]:
            services.webhook_update(webhook=created, active=False)
        self.created(request, obj, created, secret)

    def secret_page(self, request, obj, secret: str):
        return _secret_page(self, request, obj, secret, renewed=False)


@admin.action(description="Resend the selected failed deliveries", permissions=["resend"])
def resend(modeladmin, request, queryset):
    sent = sum(services.delivery_resend(delivery=d) for d in queryset.select_related("webhook"))
    skipped = queryset.count() - sent
    modeladmin.message_user(request, f"Resending {sent} deliveries: their new attempts appear in this list.")
    if skipped:
        modeladmin.message_user(
            request, f"{skipped} not resent: delivered already, or their webhook is inactive.", messages.WARNING
        )


@admin.register(Delivery)
class DeliveryAdmin(WrittenBySystem, OrganisationScopedAdmin):
    organisation_lookup = "webhook__organisation_id"
    list_display = ["created_at", "event", "webhook", "attempt", "response_status", "error", "succeeded"]
    list_filter = ["succeeded", "event"]
    list_select_related = ["webhook"]
    actions = [resend]

    def has_resend_permission(self, request):
        """Resending is changing the webhook's traffic: whoever may change webhooks may resend."""
        return request.user.has_perm("webhooks.change_webhook")
