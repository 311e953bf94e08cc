"""Answers the API gives the same way everywhere."""

from django.urls import reverse
from rest_framework import status
from rest_framework.response import Response


def created(request, data: dict, url_name: str, *args) -> Response:
    """201 Created with `data`, and the new resource's address (the URL named `url_name`) in Location."""
    location = request.build_absolute_uri(reverse(url_name, args=args))
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})
