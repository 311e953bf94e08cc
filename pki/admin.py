from django.contrib import admin

from accounts.scoping import OrganisationScopedAdmin, WrittenBySystem
from pki.models import AuthLockout, ChargerSecurity, IssuedCertificate, SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(WrittenBySystem, OrganisationScopedAdmin):
    """The fleet's security events; the critical ones first to look at (filter)."""

    organisation_lookup = "charger__organisation_id"
    list_display = ["timestamp", "charger", "type", "critical", "tech_info", "received_at"]
    list_filter = ["critical", "type"]
    search_fields = ["charger__charge_box_id", "type", "tech_info"]
    list_select_related = ["charger"]


@admin.register(IssuedCertificate)
class IssuedCertificateAdmin(WrittenBySystem, OrganisationScopedAdmin):
    organisation_lookup = "charger__organisation_id"
    list_display = ["charger", "certificate_type", "serial", "subject", "not_after", "delivery", "created_at"]
    list_filter = ["delivery", "certificate_type"]
    search_fields = ["charger__charge_box_id", "serial", "subject"]
    list_select_related = ["charger"]
    readonly_fields = ["renewal_requested_at"]


@admin.register(ChargerSecurity)
class ChargerSecurityAdmin(OrganisationScopedAdmin):
    """Each charger's security profile, enforced at its next connection."""

    organisation_lookup = "charger__organisation_id"
    list_display = ["charger", "security_profile"]
    list_filter = ["security_profile"]
    search_fields = ["charger__charge_box_id"]
    list_select_related = ["charger"]
    autocomplete_fields = ["charger"]


@admin.register(AuthLockout)
class AuthLockoutAdmin(WrittenBySystem, admin.ModelAdmin):
    """Lockouts after failed charger passwords (a source address belongs to no organisation: superusers see all)."""

    list_display = ["created_at", "kind", "value", "failures", "locked_until"]
    list_filter = ["kind"]
    search_fields = ["value"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
