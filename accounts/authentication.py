"""`X-API-Key: <key>` or `Authorization: Bearer <key>`, checked on every request."""

from dataclasses import dataclass

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.models import ApiKey, Organisation
from csms import statements


@dataclass(frozen=True)
class ApiClient:
    """The integrator behind a request: an organisation and the scopes of its key."""

    api_key: ApiKey
    scopes: frozenset
    is_authenticated: bool = True

    @property
    def organisation(self) -> Organisation:
        return self.api_key.organisation  # loaded when a request first needs more than its id

    @property
    def organisation_id(self) -> int:
        return self.api_key.organisation_id

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        plain = request.headers.get("X-API-Key")
        if not plain:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            plain = token.strip() if scheme.lower() == "bearer" else ""
        if not plain:
            return None
        prefix = ApiKey.prefix_of(plain)
        # Every API request runs this: a prepared statement, not the ORM (csms/statements.py).
        key = statements.instance(ApiKey, where={"prefix": prefix}) if prefix else None
        if key is None or not key.matches(plain):
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return ApiClient(api_key=key, scopes=frozenset(key.scopes)), key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The key in `X-API-Key`, or as a bearer token: either will do."""

    target_class = ApiKeyAuthentication
    name = ["ApiKey", "Bearer"]

    def get_security_requirement(self, auto_schema):
        return [{"ApiKey": []}, {"Bearer": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            {"type": "http", "scheme": "bearer", "description": "The same API key as `Authorization: Bearer <key>`."},
        ]
