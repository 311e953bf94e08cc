"""What a staff user may see: staff tied to an organisation (Operator) see only its data; other staff see all."""

from django.contrib import admin
from django.db.models import QuerySet

from accounts.models import Operator, Organisation


def operator_organisation_id(user) -> int | None:
    """The organisation a staff user is tied to, or None for staff who see the whole fleet."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_csms_organisation_id", ...)
    if cached is ...:
        cached = Operator.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True).first()
        user._csms_organisation_id = cached
    return cached


def scope(queryset: QuerySet, user, lookup: str) -> QuerySet:
    """`queryset` limited to the user's organisation; `lookup` leads from the model to its organisation id."""
    organisation_id = operator_organisation_id(user)
    if organisation_id is None:
        return queryset
    return queryset.filter(**{lookup: organisation_id})


def _organisation_lookup(model) -> str | None:
    """How a model reaches its organisation's id, for limiting choices in forms."""
    if model is Organisation:
        return "pk"
    names = {f.name for f in model._meta.get_fields()}
    if "organisation" in names:
        return "organisation_id"
    if "charger" in names:
        return "charger__organisation_id"
    return None


class OrganisationScopedAdmin(admin.ModelAdmin):
    """An admin whose rows, filters and choices are limited to the staff user's organisation."""

    organisation_lookup = "organisation_id"

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user, self.organisation_lookup)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if operator_organisation_id(request.user) is None:
            return filters
        return [f for f in filters if not (isinstance(f, str) and "organisation" in f)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        lookup = _organisation_lookup(db_field.related_model)
        if field is not None and lookup and hasattr(field, "queryset"):
            field.queryset = scope(field.queryset, request.user, lookup)
        return field

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        organisation_id = operator_organisation_id(request.user)
        if organisation_id is not None:
            initial.setdefault("organisation", organisation_id)
        return initial


class WrittenBySystem:
    """A ModelAdmin mixin for rows the system writes: staff look at them (and may delete), never add or edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CreatedWithSecret:
    """A ModelAdmin mixin for rows a service creates with a secret shown once (an API key, a webhook's signing
    secret): `save_model` hands the row and its secret to `created`, and `secret_page` is the page after the add."""

    def created(self, request, obj, row, secret: str) -> None:
        # The admin carries on with `obj` (log entry, redirect): make it the row just created.
        for field in row._meta.concrete_fields:
            setattr(obj, field.attname, getattr(row, field.attname))
        obj._state.adding = False
        request._csms_created_secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_csms_created_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return self.secret_page(request, obj, secret)

    def secret_page(self, request, obj, secret: str):
        raise NotImplementedError


class HistoryAdmin(WrittenBySystem, OrganisationScopedAdmin):
    """What chargers reported, or what we sent them: append-only, so read-only here."""

    organisation_lookup = "charger__organisation_id"
    list_select_related = ["charger"]
    show_full_result_count = False
    search_fields = ["charger__charge_box_id"]

    def has_delete_permission(self, request, obj=None):
        return False
