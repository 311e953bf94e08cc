"""/api/v1/webhooks: thin views over webhooks.services."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from csms.errors import error_responses, validated
from csms.openapi import endpoint_base
from csms.pagination import paginated
from webhooks import services
from webhooks.api import serializers as s
from webhooks.models import Webhook

WebhookView = endpoint_base(["webhooks"])

ERRORS = error_responses(400, 401, 403, 404)
EXAMPLE = {"url": "https://billing.example.com/csms-events", "events": ["transaction.started", "transaction.stopped"]}


def webhook_of(request, webhook_id: int) -> Webhook:
    return get_object_or_404(Webhook, pk=webhook_id, organisation=request.user.organisation)


class WebhookCollectionView(WebhookView):
    @extend_schema(
        operation_id="webhook_list",
        summary="The organisation's webhooks",
        responses={200: s.WebhookList, **ERRORS},
    )
    def get(self, request) -> Response:
        rows = Webhook.objects.filter(organisation=request.user.organisation)
        return paginated(request, rows, key="webhooks", serialize=lambda page: s.WebhookOutput(page, many=True).data)

    @extend_schema(
        operation_id="webhook_create",
        summary="Register a webhook",
        description="Events are POSTed as `{event, timestamp, data}` with `X-CSMS-Timestamp: <unix seconds>` and "
        '`X-CSMS-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>`; failed deliveries '
        "are retried with exponential backoff.",
        request=s.WebhookInput,
        responses={201: s.WebhookOutput, **ERRORS},
        examples=[
            OpenApiExample("Request", value={**EXAMPLE, "secret": "whsec-3b1f0e9c2d7a4c55"}, request_only=True),
            OpenApiExample(
                "Created",
                value={"id": 1, **EXAMPLE, "active": True, "createdAt": "2026-02-10T14:00:00Z"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request) -> Response:
        data = validated(s.WebhookInput, request.data)
        webhook = services.webhook_create(
            organisation=request.user.organisation, url=data["url"], secret=data["secret"], events=data["events"]
        )
        if not data.get("active", True):
            services.webhook_update(webhook=webhook, active=False)
        return Response(s.WebhookOutput(webhook).data, status=201)


class WebhookDetailView(WebhookView):
    @extend_schema(operation_id="webhook_get", summary="One webhook", responses={200: s.WebhookOutput, **ERRORS})
    def get(self, request, webhookId: int) -> Response:
        return Response(s.WebhookOutput(webhook_of(request, webhookId)).data)

    @extend_schema(
        operation_id="webhook_update",
        summary="Change a webhook (any of url, secret, events, active)",
        request=s.WebhookPatch,
        responses={200: s.WebhookOutput, **ERRORS},
    )
    def patch(self, request, webhookId: int) -> Response:
        webhook = webhook_of(request, webhookId)
        data = validated(s.WebhookPatch, request.data)
        webhook = services.webhook_update(webhook=webhook, **data)
        return Response(s.WebhookOutput(webhook).data)

    @extend_schema(operation_id="webhook_delete", summary="Remove a webhook", responses={204: None, **ERRORS})
    def delete(self, request, webhookId: int) -> Response:
        webhook_of(request, webhookId).delete()
        return Response(status=204)


class DeliveryListView(WebhookView):
    @extend_schema(
        operation_id="webhook_deliveries",
        summary="Every delivery attempt of a webhook, newest first",
        responses={200: s.DeliveryList, **ERRORS},
    )
    def get(self, request, webhookId: int) -> Response:
        webhook = webhook_of(request, webhookId)
        return paginated(
            request,
            webhook.deliveries.all(),
            key="deliveries",
            serialize=lambda page: s.DeliveryOutput(page, many=True).data,
        )
