"""`?limit=&offset=` pagination with the API's shape: {"<items>": [...], "pagination": {total, limit, offset}}."""

from rest_framework import serializers
from rest_framework.response import Response

MAX_LIMIT = 500


class PageParams(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=50)
    # Bounded: an offset past any real list would overflow the database's integers (a 500, not a 400).
    offset = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)


class PaginationSerializer(serializers.Serializer):
    """The `pagination` object of every list (for the schema)."""

    total = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()


# A list's answer (see page_of); the schema gives its operation the `limit` and `offset` parameters.
class Page(serializers.Serializer):
    key: str
    item: type[serializers.Serializer]


def page_of(name: str, key: str, item: type[serializers.Serializer]) -> type[Page]:
    """The schema of a list's answer, `{key: [item, ...], "pagination": {...}}`; `name` names its component."""
    return type(name, (Page,), {key: item(many=True), "pagination": PaginationSerializer(), "key": key, "item": item})


def paginated(request, queryset, *, key: str, serialize, default_limit: int = 50) -> Response:
    """One page of `queryset`; `serialize(rows)` turns the page into JSON-ready items."""
    params = PageParams(data={"limit": request.query_params.get("limit", default_limit), **_offset(request)})
    params.is_valid(raise_exception=True)
    limit, offset = params.validated_data["limit"], params.validated_data["offset"]
    total = queryset.count()
    page = list(queryset[offset : offset + limit])
    return Response({key: serialize(page), "pagination": {"total": total, "limit": limit, "offset": offset}})


def _offset(request) -> dict:
    offset = request.query_params.get("offset")
    return {"offset": offset} if offset is not None else {}
