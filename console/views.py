from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.scoping import operator_organisation_id
from console.fleet import fleet_snapshot


@staff_member_required
def dashboard(request):
    organisation_id = operator_organisation_id(request.user)
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "snapshot": fleet_snapshot(organisation_id=organisation_id),
        # The summary counts link to these lists, filtered the same way (and by the site chosen).
        "chargers_url": reverse("admin:chargers_charger_changelist"),
        "transactions_url": reverse("admin:charging_transaction_changelist"),
    }
    return render(request, "console/dashboard.html", context)


@staff_member_required
def dashboard_data(request):
    snapshot = fleet_snapshot(organisation_id=operator_organisation_id(request.user))
    return JsonResponse(snapshot, headers={"Cache-Control": "no-store"})
