"""Logins: merchants sign in with their e-mail, whatever its case; a session's user is read
with their shop."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class EmailCaseInsensitiveBackend(ModelBackend):
    """Merchant logins are e-mails stored lowercased: `Owner@Shop.CN` signs in as owner@shop.cn."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            username = username.strip().lower()
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The session's user with their merchant binding and its shop in the same query
        (issue 10: one query less on every merchant page). Read on every request, so it is
        never stale; `enrollment.scoping.merchant_shop` still decides what the user sees (R100)."""
        users = get_user_model()._default_manager.select_related("merchant__shop")
        try:
            user = users.get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        """ModelBackend's set, the user's own and their groups' permissions, in one query (a
        UNION) instead of two: every admin page asks for it (issue 10)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            columns = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                rows = Permission.objects.values_list(*columns).order_by()
            else:
                own = self._get_user_permissions(user_obj).values_list(*columns).order_by()
                grouped = self._get_group_permissions(user_obj).values_list(*columns).order_by()
                rows = own.union(grouped).order_by()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache
