"""Background work of the enrollment app (django.tasks; immediate in development and tests)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from enrollment.models import Invitation


@task
def send_invitation_email(*, invitation_id: int, user_id: int) -> None:
    """R10: tell the invited shop's contact how to sign in and apply."""
    invitation = Invitation.objects.select_related("shop").get(pk=invitation_id)
    user = get_user_model().objects.get(pk=user_id)
    if user.has_usable_password():
        link = settings.PORTAL_BASE_URL + reverse("enrollment:overview")
    else:
        link = settings.PORTAL_BASE_URL + reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    context = {"invitation": invitation, "user": user, "link": link}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        body = render_to_string("emails/invitation_body.txt", context)
    send_mail(subject, body, None, [invitation.contact_email])


@task
def reprice_shops_task() -> int:
    """R51: the periodic repricing job; the same service as `manage.py reprice_shops`."""
    from enrollment.repricing import shops_reprice

    return sum(1 for _shop, new, _why in shops_reprice() if new is not None)
