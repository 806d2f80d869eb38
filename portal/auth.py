"""Logins: merchants sign in with their e-mail, whatever its case."""

from django.contrib.auth.backends import ModelBackend


class EmailCaseInsensitiveBackend(ModelBackend):
    """Merchant logins are e-mails stored lowercased: `Owner@Shop.CN` signs in as owner@shop.cn."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            username = username.strip().lower()
        return super().authenticate(request, username=username, password=password, **kwargs)
