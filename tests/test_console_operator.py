"""What operators reach for next in the console, without a browser: keys with scopes, webhooks, fleet jobs."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import ApiKey


@pytest.fixture
def boss(transactional_db):
    return User.objects.create_superuser("boss", "boss@example.com", "boss-password")


def test_an_api_key_without_scope_is_refused_naming_the_scopes(client, boss, acme):
    client.force_login(boss)
    response = client.post(reverse("admin:accounts_apikey_add"), {"organisation": acme.pk, "name": "nothing"})
    assert response.status_code == 200
    assert "Choose at least one scope" in response.context["adminform"].form.errors["scopes"][0]
    assert not ApiKey.objects.filter(name="nothing").exists()


def test_create_api_key_refuses_an_empty_scope_list(acme):
    with pytest.raises(CommandError, match="--scopes: name at least one"):
        call_command("create_api_key", "--org", "Acme", "--scopes", " , ")
    with pytest.raises(ValueError, match="at least one scope"):
        ApiKey.generate(organisation=acme, scopes=[])
    assert not ApiKey.objects.exists()
