from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.scoping import operator_organisation_id, scope
from charging.models import Transaction
from charging.services.metering import session_shown
from console.fleet import fleet_snapshot

# Sessions one page may ask about at once (a page of the transaction list).
LIVE_SESSIONS_MAX = 200


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


@staff_member_required
def session_figures(request):
    """Figures of the sessions a page shows (?ids=1,2), so far for the open ones: the page polls this."""
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()][:LIVE_SESSIONS_MAX]
    sessions = scope(Transaction.objects.filter(pk__in=ids), request.user, "charger__organisation_id")
    figures = {str(session.pk): session_shown(session) for session in sessions}
    return JsonResponse({"sessions": figures}, headers={"Cache-Control": "no-store"})
