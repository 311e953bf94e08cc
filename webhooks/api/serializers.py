from rest_framework import serializers

from csms.pagination import page_of
from webhooks.models import EVENTS


class WebhookInput(serializers.Serializer):
    url = serializers.URLField(max_length=500, help_text="Where events are POSTed (http or https).")
    secret = serializers.CharField(
        min_length=16, max_length=200, write_only=True, help_text="Signs every delivery; never shown again."
    )
    events = serializers.ListField(child=serializers.ChoiceField(EVENTS), allow_empty=False)
    active = serializers.BooleanField(required=False, default=True)


class WebhookPatch(WebhookInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["active"].default = serializers.empty


class WebhookOutput(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    createdAt = serializers.DateTimeField(source="created_at")


WebhookList = page_of("WebhookList", "webhooks", WebhookOutput)


class DeliveryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    eventId = serializers.UUIDField(source="event_id", help_text="Shared by the attempts of one event.")
    event = serializers.CharField()
    attempt = serializers.IntegerField()
    timestamp = serializers.IntegerField(help_text="X-CSMS-Timestamp of this attempt.")
    responseStatus = serializers.IntegerField(source="response_status", allow_null=True)
    error = serializers.CharField()
    succeeded = serializers.BooleanField()
    durationMs = serializers.IntegerField(source="duration_ms", allow_null=True)
    nextAttemptAt = serializers.DateTimeField(source="next_attempt_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    body = serializers.CharField(help_text="The JSON body sent.")


DeliveryList = page_of("DeliveryList", "deliveries", DeliveryOutput)
