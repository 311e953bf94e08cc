from rest_framework import permissions

READ = "read:charge_points"
WRITE = "write:charge_points"


class HasScope(permissions.BasePermission):
    """GET needs read:charge_points; everything else write:charge_points, unless the view names its `scope`."""

    message = "This API key lacks the scope {scope}."

    def has_permission(self, request, view):
        client = request.user
        if client is None or not getattr(client, "is_authenticated", False):
            return False
        scope = getattr(view, "scope", None) or (READ if request.method in permissions.SAFE_METHODS else WRITE)
        if scope not in getattr(client, "scopes", ()):
            self.message = HasScope.message.format(scope=scope)
            return False
        return True
