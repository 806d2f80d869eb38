"""Logins: merchants sign in with their e-mail, whatever its case; a session's user is read
with their shop."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


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
