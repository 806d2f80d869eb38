"""R100/R101: who may reach what, over every URL the portal routes.

- Anonymous: every URL pattern (merchant pages, the admin, the API, the auth pages), GET and
  POST: a redirect to a login page, a 401 (the signed API), a 404 or a 405; a 200 only on the
  few public pages listed here, and that list must stay exact.
- CSRF: a signed-in merchant's POST without a token is a 403 on every URL but the platform
  API's, which is csrf-exempt by design and signed instead (R81).
- Staff groups: each group's admin changelists are a 200 inside its own area and a 403
  everywhere else, for every model registered in the admin; staff are not merchants.
"""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

SAMPLES = {
    "pk": "1",
    "id": "1",
    "object_id": "1",
    "content_type_id": "1",
    "name": "approve",
    "uidb64": "MQ",
    "token": "set-password",
    "order_id": "O1",
    "refund_id": "R1",
    "app_label": "claims",
    "url": "nowhere/",
}

# Pages anyone may open (a 200 without signing in); everything else is behind a login.
PUBLIC = {
    "healthz",  # {"status": "ok"} for the load balancer
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",  # an invalid link page: the token is the credential
    "password_reset_complete",
    "platform_api:openapi",  # R86: the API's description, no data
    "admin:login",
}
# Actions anyone may take, which redirect (not necessarily to a login page).
PUBLIC_ACTIONS = {"home", "logout", "admin:logout", "set_language"}
CSRF_EXEMPT = {"platform_api:events", "platform_api:order", "platform_api:refund"}  # signed


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace) if n) or None
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name, prefix + str(pattern.pattern), pattern


def _path(name, route, pattern) -> str | None:
    params = {**pattern.pattern.converters, **pattern.pattern.regex.groupindex}
    if name:
        return reverse(name, kwargs={p: SAMPLES[p] for p in params})
    if route.startswith("^") or "(?P" in route:
        return None  # unnamed regular expressions: the admin's catch-all (tested below)
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES[m.group(1)], route)


def every_url() -> list[tuple[str, str]]:
    """(name or route, path) of every routed URL, with sample parameters."""
    urls = {}
    for name, route, pattern in _walk(get_resolver().url_patterns):
        path = _path(name, route, pattern)
        if path:
            urls.setdefault(name or route, path)
    return sorted(urls.items())


def _to_login(response) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code == 302 and (
        "/accounts/login/" in location or "/admin/login/" in location
    )


def test_R100_the_walk_covers_every_area():
    names = {name for name, _path in every_url()}
    assert len(names) > 150
    for expected in (
        "claims:refuse",
        "invoicing:pdf",
        "enrollment:apply",
        "admin:claims_claim_changelist",
        "platform_api:events",
    ):
        assert expected in names


def test_R100_anonymous_users_reach_nothing_but_the_public_pages():
    client = Client()
    opened = set()
    for name, path in every_url():
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            status = response.status_code
            assert status < 500, (method, path, status)
            if status == 200:
                opened.add(name)
            allowed = (
                name in PUBLIC
                or (name in PUBLIC_ACTIONS and status in (302, 405))
                or _to_login(response)
                or status in (404, 405)
                or (name.startswith("platform_api:") and status == 401)
            )
            assert allowed, (method, name, path, status, response.headers.get("Location"))
    assert opened == PUBLIC, "a page opened to anonymous users must be listed in PUBLIC"


def test_R100_unknown_admin_urls_redirect_anonymous_users_to_the_login():
    response = Client().get("/admin/not-a-model/")
    assert _to_login(response)


def test_R100_merchant_posts_without_a_csrf_token_are_403(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    exempt = set()
    for name, path in every_url():
        response = client.post(path, {"note": "x"})
        if response.status_code != 403:
            exempt.add(name)
    assert exempt == CSRF_EXEMPT
    assert client.post(reverse("platform_api:events"), b"{}", "application/json").status_code == 401


def test_R100_a_post_with_the_token_gets_past_the_csrf_check():
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("login"), {"username": "x", "password": "y", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 200  # the form answered (wrong password), not the CSRF check


# --- staff groups (R101) ---

AREAS = {
    "uma": {
        "enrollment.shop",
        "enrollment.invitation",
        "enrollment.enrollment",
        "enrollment.premiumrate",
        "enrollment.industrypricing",
    },
    "rita": {
        "enrollment.shop",
        "claims.claim",
        "claims.buyer",
        "claims.buyerfeedback",
        "claims.evidence",
        "claims.policy",
        "claims.refundrequest",
        "claims.servicebreach",
        "claims.claimsettings",
        "claims.payout",
        "claims.buyercompensation",
        "outbox.message",  # the messages of the reviewers' area (issue 12)
    },
    "fiona": {
        "enrollment.shop",
        "claims.payout",
        "claims.buyercompensation",
        "claims.policy",
        "invoicing.invoicerequest",
        "invoicing.calendaroverride",
        "outbox.message",  # the messages of finance's area (issue 12)
        "payouts.payoutbatch",  # R114: finance's payout batches (issue 12)
    },
}


def registered_models() -> list[str]:
    return sorted(model._meta.label_lower for model in admin.site._registry)


def test_R101_no_staff_group_sees_users_groups_or_the_task_queue():
    everyone = set().union(*AREAS.values())
    assert set(registered_models()) - everyone == {
        "auth.user",
        "auth.group",
        "django_tasks_database.dbtaskresult",
        "notifications.notification",  # the merchants' notices: superusers only, no group yet
    }


@pytest.mark.parametrize("persona", sorted(AREAS))
def test_R101_each_staff_group_sees_only_its_area(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("admin:index")).status_code == 200
    seen = set()
    for label in registered_models():
        app, model = label.split(".")
        status = client.get(reverse(f"admin:{app}_{model}_changelist")).status_code
        assert status in (200, 403), (label, status)
        if status == 200:
            seen.add(label)
    assert seen == AREAS[persona]


@pytest.mark.parametrize("persona", sorted(AREAS))
def test_R101_staff_are_not_merchants(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    for name in ("claims:dashboard", "claims:policies", "claims:payouts_export", "invoicing:new"):
        assert client.get(reverse(name)).status_code == 403, name
