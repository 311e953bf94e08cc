"""Id tag endpoints and the organisation's authorization policy: thin views over
chargers.selectors (reads) and charging.services.id_tags (writes)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from accounts.models import Organisation
from chargers.api.serializers import StrictSerializer
from charging import selectors
from charging.filters import IdTagFilter
from charging.models import IdTag
from charging.services import id_tags
from csms.errors import Conflict, error_responses
from csms.openapi import endpoint_base, example, filtered_page
from csms.pagination import page_of
from csms.responses import created

TAGS = ["Id tags"]
ID_TAG = OpenApiParameter("idTag", str, OpenApiParameter.PATH, description="The id tag, in any case.")
IdTagView = endpoint_base(TAGS, ID_TAG)
TAG_EXAMPLE = {
    "idTag": "RFID-0042",
    "status": "Accepted",
    "expiryDate": "2027-01-01T00:00:00Z",
    "parentIdTag": "FLEET-ACME",
    "maxActiveTransactions": 1,
    "note": "Van 12",
    "autoCreated": False,
    "createdAt": "2026-02-06T12:00:00Z",
}


def validate_id_tag(value: str) -> str:
    problem = id_tags.id_tag_problem(value)
    if problem:
        raise serializers.ValidationError(problem)
    return value


class IdTagOutput(serializers.Serializer):
    idTag = serializers.CharField(source="id_tag")
    status = serializers.ChoiceField(IdTag.Status.choices)
    expiryDate = serializers.DateTimeField(source="expiry_date", allow_null=True)
    parentIdTag = serializers.CharField(source="parent.id_tag", allow_null=True, default=None)
    maxActiveTransactions = serializers.IntegerField(source="max_active_transactions")
    note = serializers.CharField()
    autoCreated = serializers.BooleanField(
        source="auto_created", help_text="Recorded when a charger presented it under the accept-unknown-tags policy."
    )
    createdAt = serializers.DateTimeField(source="created_at")


IdTagPage = page_of("IdTagPage", "idTags", IdTagOutput)


def max_active_transactions_field(**kwargs) -> serializers.IntegerField:
    """The sessions a tag may have at once, on creation and update alike."""
    return serializers.IntegerField(
        source="max_active_transactions",
        min_value=0,
        help_text="Sessions the tag may have at once; beyond it a start is answered ConcurrentTx. 0: no limit.",
        **kwargs,
    )


class IdTagUpdateInput(StrictSerializer):
    status = serializers.ChoiceField(IdTag.Status.choices, required=False)
    expiryDate = serializers.DateTimeField(source="expiry_date", required=False, allow_null=True)
    parentIdTag = serializers.CharField(source="parent_id_tag", required=False, allow_null=True, allow_blank=True)
    maxActiveTransactions = max_active_transactions_field(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class IdTagCreateInput(IdTagUpdateInput):
    idTag = serializers.CharField(
        source="id_tag",
        max_length=id_tags.ID_TAG_MAX_LENGTH,
        trim_whitespace=False,
        validators=[validate_id_tag],
        help_text="At most 20 characters (OCPP CiString20); unique in the organisation in any case.",
    )
    status = serializers.ChoiceField(IdTag.Status.choices, default=IdTag.Status.ACCEPTED)
    maxActiveTransactions = max_active_transactions_field(default=1)


class IdTagDeleted(serializers.Serializer):
    message = serializers.CharField()
    idTag = serializers.CharField()


def organisation_tag(request, id_tag: str) -> IdTag:
    tag = selectors.id_tag_get(organisation=request.user.organisation, id_tag=id_tag)
    if tag is None:
        raise NotFound(f"Id tag {id_tag} not found.")
    return tag


def invalid(error: id_tags.IdTagInvalid):
    if isinstance(error, id_tags.IdTagExists):
        return Conflict(error.message)
    return ValidationError({error.field: error.message})


class IdTagCollectionView(IdTagView):
    get = filtered_page(
        "id_tags_list", "List id tags", "The organisation's id tags, ordered by idTag.",
        filterset=IdTagFilter, page=IdTagPage, rows=selectors.id_tag_list, example=("A page", TAG_EXAMPLE),
    )  # fmt: skip

    @extend_schema(
        operation_id="id_tags_create",
        summary="Create an id tag",
        description="409 when the organisation has the tag already, in any case (OCPP id tags are "
        "case-insensitive). A parentIdTag must be one of the organisation's tags.",
        request=IdTagCreateInput,
        responses={201: IdTagOutput, **error_responses(400, 401, 403, 409)},
        examples=[
            example(
                "Create",
                {"idTag": "RFID-0042", "parentIdTag": "FLEET-ACME", "expiryDate": "2027-01-01T00:00:00Z"},
                request=True,
            ),
            example("Created", TAG_EXAMPLE),
        ],
    )
    def post(self, request):
        body = IdTagCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            tag = id_tags.id_tag_create(organisation=request.user.organisation, **body.validated_data)
        except id_tags.IdTagInvalid as error:
            raise invalid(error)
        return created(request, IdTagOutput(tag).data, "id-tag", tag.id_tag)


class IdTagDetailView(IdTagView):
    @extend_schema(
        operation_id="id_tags_retrieve",
        summary="An id tag",
        responses={200: IdTagOutput, **error_responses(401, 403, 404)},
        examples=[example("A tag", TAG_EXAMPLE)],
    )
    def get(self, request, idTag: str):
        return Response(IdTagOutput(organisation_tag(request, idTag)).data)

    @extend_schema(
        operation_id="id_tags_update",
        summary="Change an id tag",
        description="Only the fields sent change; parentIdTag null or empty removes the parent. "
        "Editing an auto-created tag makes it an ordinary one.",
        request=IdTagUpdateInput,
        responses={200: IdTagOutput, **error_responses(400, 401, 403, 404)},
        examples=[
            example("Block", {"status": "Blocked", "note": "Card reported lost"}, request=True),
            example("Blocked", {**TAG_EXAMPLE, "status": "Blocked", "note": "Card reported lost"}),
        ],
    )
    def patch(self, request, idTag: str):
        tag = organisation_tag(request, idTag)
        body = IdTagUpdateInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            tag = id_tags.id_tag_update(tag=tag, **body.validated_data)
        except id_tags.IdTagInvalid as error:
            raise invalid(error)
        return Response(IdTagOutput(organisation_tag(request, tag.id_tag)).data)

    @extend_schema(
        operation_id="id_tags_delete",
        summary="Delete an id tag",
        description="Its children keep existing, without a parent. Chargers learn of it at the next local list sync.",
        responses={200: IdTagDeleted, **error_responses(401, 403, 404)},
        examples=[example("Deleted", {"message": "Id tag RFID-0042 deleted.", "idTag": "RFID-0042"})],
    )
    def delete(self, request, idTag: str):
        tag = organisation_tag(request, idTag)
        id_tags.id_tag_delete(tag=tag)
        return Response({"message": f"Id tag {tag.id_tag} deleted.", "idTag": tag.id_tag})


class AuthorizationPolicy(StrictSerializer):
    unknownIdTags = serializers.ChoiceField(
        Organisation.UnknownIdTagPolicy.choices,
        source="unknown_id_tag_policy",
        help_text="reject (default): an unknown id tag is Invalid. accept: it is Accepted (free vend) and "
        "recorded as an auto-created id tag (GET /id-tags?autoCreated=true).",
    )


class AuthorizationPolicyView(IdTagView):
    @extend_schema(
        operation_id="authorization_policy_retrieve",
        summary="The organisation's authorization policy",
        responses={200: AuthorizationPolicy, **error_responses(401, 403)},
        examples=[example("Reject unknown tags", {"unknownIdTags": "reject"})],
    )
    def get(self, request):
        return Response(AuthorizationPolicy(request.user.organisation).data)

    @extend_schema(
        operation_id="authorization_policy_update",
        summary="Change the organisation's authorization policy",
        request=AuthorizationPolicy,
        responses={200: AuthorizationPolicy, **error_responses(400, 401, 403)},
        examples=[example("Free vend", {"unknownIdTags": "accept"}, request=True)],
    )
    def patch(self, request):
        body = AuthorizationPolicy(data=request.data)
        body.is_valid(raise_exception=True)
        organisation = id_tags.organisation_policy_set(
            organisation=request.user.organisation, unknown_id_tag_policy=body.validated_data["unknown_id_tag_policy"]
        )
        return Response(AuthorizationPolicy(organisation).data)
