"""The live server and the test process share one database: a flush between tests must not
change the ids of content types, which the server caches (admin history points at them)."""

import pytest
from django.contrib.admin.models import LogEntry

from tests.test_admin_id_tags import AdminBrowser


@pytest.fixture
def boss(server, acme):
    from django.contrib.auth.models import User

    User.objects.create_superuser("boss", "boss@example.com", "boss-password")
    return AdminBrowser(server, "boss", "boss-password")


@pytest.mark.parametrize("round", [1, 2])
def test_the_server_writes_admin_history_in_every_test(boss, acme, round):
    response = boss.post(
        "/admin/chargers/site/add/",
        {
            "organisation": acme.pk,
            "name": f"Depot {round}",
            "capacity_limit": "64",
            "capacity_unit": "A",
            "_save": "Save",
        },
    )
    assert response.status_code == 200, response.text[-3000:]
    assert LogEntry.objects.filter(object_repr__contains=f"Depot {round}").exists(), response.text[-3000:]
