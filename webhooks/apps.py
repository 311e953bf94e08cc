from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self):
        from chargers import events
        from webhooks import subscriptions
        from webhooks.models import Webhook
        from webhooks.services import event_emit

        events.subscribe(event_emit)

        post_save.connect(subscriptions.forget, sender=Webhook, dispatch_uid="webhooks-subscriptions-saved")
        post_delete.connect(subscriptions.forget, sender=Webhook, dispatch_uid="webhooks-subscriptions-deleted")
