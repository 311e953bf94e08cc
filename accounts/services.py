"""Writes of accounts: organisations (API keys are created by the admin and by create_api_key)."""

from accounts.models import Organisation


def organisation_get_or_create(*, name: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(name=name)
    return organisation
