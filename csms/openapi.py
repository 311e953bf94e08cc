"""OpenAPI pieces shared by the endpoints: examples, pagination, django-filter FilterSets, and the filtered list."""

from collections.abc import Callable

import django_filters
from django.db.models import QuerySet
from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.views import APIView

from csms.errors import error_responses
from csms.pagination import MAX_LIMIT, Page, paginated

PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description=f"Items per page, 1 to {MAX_LIMIT} (default 50)."),
    OpenApiParameter("offset", int, description="Items to skip (default 0)."),
]


class AutoSchema(openapi.AutoSchema):
    """The API's schema: an operation that answers a page (page_of) takes PAGE_PARAMETERS, said here once; and
    the path parameters its view describes (endpoint_base) where its path has them."""

    def get_override_parameters(self):
        described = getattr(self.view, "path_parameters", ())
        parameters = [p for p in described if f"{{{p.name}}}" in self.path] + super().get_override_parameters()
        responses = self.get_response_serializers()
        answer = responses.get(200) if isinstance(responses, dict) else responses
        if isinstance(answer, type) and issubclass(answer, Page):
            return [*parameters, *PAGE_PARAMETERS]
        return parameters


def endpoint_base(tags: list[str], *path_parameters: OpenApiParameter) -> type[APIView]:
    """A base for a module's views, saying once what their operations share: they are listed under `tags`, and
    each of `path_parameters` is described in every operation whose path has it (see AutoSchema)."""
    view = type("Endpoint", (APIView,), {"path_parameters": path_parameters})
    return extend_schema(tags=tags)(view)


_TYPES = {django_filters.BooleanFilter: OpenApiTypes.BOOL, django_filters.NumberFilter: OpenApiTypes.NUMBER}


def filter_parameters(filterset_class: type[django_filters.FilterSet]) -> list[OpenApiParameter]:
    """The query parameters of a FilterSet, described once where they are defined."""
    parameters = []
    for name, field in filterset_class.base_filters.items():
        choices = field.extra.get("choices")
        parameters.append(
            OpenApiParameter(
                name,
                _TYPES.get(type(field), OpenApiTypes.STR),
                description=str(field.extra.get("help_text", "")),
                enum=[value for value, _ in choices] if choices else None,
            )
        )
    return parameters


def example(name: str, value, *, request: bool = False) -> OpenApiExample:
    """A request example, or (the default) a response example."""
    return OpenApiExample(name, value=value, request_only=request, response_only=not request)


def page_example(name: str, key: str, item: dict) -> OpenApiExample:
    """A list endpoint's answer: a page holding the one example item."""
    return example(name, {key: [item], "pagination": {"total": 1, "limit": 50, "offset": 0}})


def filtered_page(
    operation_id: str,
    summary: str,
    description: str,
    *,
    filterset: type[django_filters.FilterSet],
    page: type[Page],
    rows: Callable[..., QuerySet],
    example: tuple[str, dict],
    prepare: Callable[[list], list] = lambda rows: rows,
    tags: list[str] | None = None,
) -> Callable:
    """A list endpoint's `get`: a page of `rows(organisation=, filters=)`, the caller's organisation's rows that
    the query's `filterset` parameters choose, answered as `page`'s items (each page `prepare`d first); a bad
    filter is a 400. `example` names the one item of its example page."""

    @extend_schema(
        tags=tags,
        operation_id=operation_id,
        summary=summary,
        description=description,
        parameters=filter_parameters(filterset),
        responses={200: page, **error_responses(400, 401, 403)},
        examples=[page_example(example[0], page.key, example[1])],
    )
    def get(self, request):
        chosen = rows(organisation=request.user.organisation, filters=request.query_params)
        return paginated(request, chosen, key=page.key, serialize=lambda rows: page.item(prepare(rows), many=True).data)

    return get
