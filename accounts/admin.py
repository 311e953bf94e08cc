from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count
from django.template.response import TemplateResponse

from accounts.models import SCOPES, ApiKey, Operator, Organisation
from accounts.scoping import CreatedWithSecret, OrganisationScopedAdmin, scope
from csms.forms import checkboxes

User = get_user_model()


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_lookup = "pk"
    list_display = ["name", "unknown_id_tag_policy", "charger_count", "id_tag_count", "created_at"]
    list_filter = ["unknown_id_tag_policy"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(charger_count=Count("chargers", distinct=True), id_tag_count=Count("id_tags", distinct=True))
        )

    @admin.display(description="chargers", ordering="charger_count")
    def charger_count(self, organisation):
        return organisation.charger_count

    @admin.display(description="id tags", ordering="id_tag_count")
    def id_tag_count(self, organisation):
        return organisation.id_tag_count


class ApiKeyForm(forms.ModelForm):
    # A key without a scope can do nothing: refused here, as by create_api_key.
    scopes = checkboxes(SCOPES, none_chosen="Choose at least one scope: a key without scope can do nothing.")

    class Meta:
        model = ApiKey
        fields = ["organisation", "name", "scopes", "revoked"]


@admin.register(ApiKey)
class ApiKeyAdmin(CreatedWithSecret, OrganisationScopedAdmin):
    """Keys are created here with `ApiKey.generate`: the key is shown once, on the page after saving."""

    form = ApiKeyForm
    list_display = ["prefix", "name", "organisation", "scope_list", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked", "organisation"]
    search_fields = ["prefix", "name", "organisation__name"]
    list_select_related = ["organisation"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "name", "scopes"]
        return ["organisation", "prefix", "name", "scopes", "revoked", "created_at", "last_used_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["organisation", "prefix", "created_at", "last_used_at"]

    @admin.display(description="scopes")
    def scope_list(self, key):
        return ", ".join(key.scopes)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created, plain = ApiKey.generate(
            organisation=form.cleaned_data["organisation"],
            scopes=list(form.cleaned_data["scopes"]),
            name=form.cleaned_data["name"],
        )
        self.created(request, obj, created, plain)

    def secret_page(self, request, obj, plain: str):
        response = TemplateResponse(
            request,
            "admin/accounts/apikey/created.html",
            {**self.admin_site.each_context(request), "opts": self.opts, "key": obj, "plain": plain},
        )
        # The key is in this page only: keep it out of caches and history.
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.update(revoked=True)
        self.message_user(request, f"Revoked {count} API key(s).", messages.SUCCESS)


@admin.register(Operator)
class OperatorAdmin(OrganisationScopedAdmin):
    list_display = ["user", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["user__username", "user__email", "organisation__name"]
    list_select_related = ["user", "organisation"]
    raw_id_fields = ["user"]


class OperatorInline(admin.StackedInline):
    model = Operator
    can_delete = True
    verbose_name = "organisation (staff tied to one see only its data)"
    verbose_name_plural = verbose_name

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "organisation":
            field.queryset = scope(field.queryset, request.user, "pk")
        return field


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [OperatorInline]
    list_display = [*UserAdmin.list_display, "organisation"]

    def get_queryset(self, request):
        users = super().get_queryset(request).select_related("operator__organisation")
        return scope(users, request.user, "operator__organisation_id")

    @admin.display(description="organisation", ordering="operator__organisation__name")
    def organisation(self, user):
        operator = getattr(user, "operator", None)
        return operator.organisation if operator else "all"
