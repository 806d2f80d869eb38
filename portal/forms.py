import hashlib

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


class ThrottledLogin:
    """Counts failed sign-ins per login and address; shared by the portal's and the admin's
    login forms, so guessing through either counts against both."""

    def _keys(self) -> tuple[str, str]:
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
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
        "invalid_login": _("The login or password is wrong. Both are case-sensitive."),
        "throttled": THROTTLED,
    }


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    """The insurer's sign-in at /admin/login/ (staff and superusers): throttled the same way."""

    error_messages = {**AdminAuthenticationForm.error_messages, "throttled": THROTTLED}
