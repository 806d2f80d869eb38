import hashlib

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Password guessing: after 5 failures for one login from one address, or 20 from one
# address, sign-in from there waits 15 minutes.
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_ADDRESS = 20
LOCKOUT_SECONDS = 15 * 60
THROTTLED = _("Too many failed sign-ins. Please wait 15 minutes and try again.")


def client_address(request) -> str:
    """The signing-in client's address. Behind the TLS proxy (BEHIND_TLS_PROXY) REMOTE_ADDR
    is the proxy's own; the client is the last X-Forwarded-For entry, the one the trusted
    proxy appended (earlier entries come from the client and may be forged)."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        address = forwarded or address
    return address


class ThrottledLogin:
    """Counts failed sign-ins per login and address; shared by the portal's and the admin's
    login forms, so guessing through either counts against both."""

    def _keys(self) -> tuple[str, str]:
        address = client_address(self.request) if self.request else ""
        login = (self.data.get("username") or "").strip().lower()
        digest = hashlib.sha256(f"{login}|{address}".encode()).hexdigest()[:32]
        return f"login-fail:{digest}", f"login-fail-addr:{address}"

    def clean(self):
        login_key, address_key = self._keys()
        if (
            cache.get(login_key, 0) >= MAX_FAILURES_PER_LOGIN
            or cache.get(address_key, 0) >= MAX_FAILURES_PER_ADDRESS
        ):
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except ValidationError:
            for key in (login_key, address_key):
                cache.add(key, 0, LOCKOUT_SECONDS)
                cache.incr(key)
            raise


class LoginForm(ThrottledLogin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The login or password is wrong. The password is case-sensitive."),
        "throttled": THROTTLED,
    }


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    """The insurer's sign-in at /admin/login/ (staff and superusers): throttled the same way."""

    error_messages = {**AdminAuthenticationForm.error_messages, "throttled": THROTTLED}
