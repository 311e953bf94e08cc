from django.contrib import admin, messages

from accounts.scoping import OrganisationScopedAdmin, WrittenBySystem
from commands.bus import CommandFailed, Requester
from commands.models import Command
from pki.models import AuthLockout, ChargerSecurity, IssuedCertificate, SecurityEvent
from pki.profiles import security_profile_upgrade


def _upgrade_action(profile: int):
    def action(modeladmin, request, queryset):
        """Each charger is told its new profile and reconnects on it, or stays on its old one (pki/profiles.py)."""
        requester = Requester(source=Command.Source.ADMIN, description=request.user.get_username(),
                              user_id=request.user.pk)  # fmt: skip
        for security in queryset.select_related("charger"):
            try:
                answer = security_profile_upgrade(charger=security.charger, profile=profile, requester=requester)
            except CommandFailed as failure:
                modeladmin.message_user(request, f"{security.charger}: {failure}", messages.ERROR)
                continue
            level = messages.SUCCESS if answer["upgradeTo"] == profile else messages.WARNING
            modeladmin.message_user(request, f"{security.charger}: {answer['message']}", level)

    action.__name__ = f"upgrade_to_{profile}"
    return admin.action(description=f"Upgrade to profile {profile} (the charger reconnects on it)",
                        permissions=["change"])(action)  # fmt: skip


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
    list_display = ["charger", "security_profile", "upgrade_to", "upgrade_deadline", "upgrade_result"]
    list_filter = ["security_profile"]
    readonly_fields = ["upgrade_to", "upgrade_deadline", "upgrade_result"]
    search_fields = ["charger__charge_box_id"]
    list_select_related = ["charger"]
    autocomplete_fields = ["charger"]
    actions = [
        _upgrade_action(ChargerSecurity.Profile.TLS_BASIC),
        _upgrade_action(ChargerSecurity.Profile.TLS_CLIENT_CERTIFICATE),
    ]


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
