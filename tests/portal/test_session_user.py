"""The page shell (issue 10): a session's user comes with their shop in one query, and
sessions live in the shared cache only when the cache is shared (logout ends them everywhere)."""

import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSession
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Shop
from enrollment.scoping import merchant_shop
from notifications.models import Notification, NotificationKind
from notifications.selectors import unread_count
from portal.auth import EmailCaseInsensitiveBackend, session_figures
from tests.portal.test_settings import ROOT


def test_a_session_user_comes_with_their_shop(alice, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = EmailCaseInsensitiveBackend().get_user(alice.pk)
        assert merchant_shop(user) == alice.merchant.shop


def _fields(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_session_user_reads_as_the_orms_select_related_does(alice, django_assert_num_queries):
    """portal.auth.SessionUserQuery writes the SQL once; each field still reads as the ORM's."""
    expected = get_user_model().objects.select_related("merchant__shop").get(pk=alice.pk)
    with django_assert_num_queries(1):
        user = EmailCaseInsensitiveBackend().get_user(str(alice.pk))
        merchant = user.merchant
        assert merchant.user is user
        shop = merchant.shop
    assert _fields(user) == _fields(expected)
    assert _fields(merchant) == _fields(expected.merchant)
    assert _fields(shop) == _fields(expected.merchant.shop)
    assert user.date_joined.tzinfo is not None
    assert not user._state.adding and user._state.db == "default"


def test_a_session_user_comes_with_the_figures_apps_read_with_the_shop(
    alice, django_assert_num_queries
):
    """notifications.apps adds the unread count: read in the same statement (issue 10)."""
    shop = alice.merchant.shop
    Notification.objects.create(shop=shop, kind=NotificationKind.PAID, created_at=timezone.now())
    with django_assert_num_queries(1):
        user = EmailCaseInsensitiveBackend().get_user(alice.pk)
        figures = session_figures(merchant_shop(user))
    assert (
        figures
        == {"unread_notifications": unread_count(shop_id=shop.pk)}
        == {"unread_notifications": 1}
    )
    assert session_figures(Shop.objects.get(pk=shop.pk)) == {}  # a shop read any other way


def test_a_session_user_who_is_no_merchant_has_their_merchant_missing(
    uma, django_assert_num_queries
):
    user = EmailCaseInsensitiveBackend().get_user(uma.pk)
    assert _fields(user) == _fields(get_user_model().objects.get(pk=uma.pk))
    with django_assert_num_queries(0), pytest.raises(ObjectDoesNotExist):
        user.merchant  # noqa: B018 (the attribute's read is the test)


def test_no_session_user_for_an_unknown_or_inactive_id(alice, db):
    assert EmailCaseInsensitiveBackend().get_user(alice.pk + 1000) is None
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    assert EmailCaseInsensitiveBackend().get_user(alice.pk) is None


def test_a_user_read_elsewhere_gets_their_shop_in_one_query(alice, django_assert_num_queries):
    user = get_user_model().objects.get(pk=alice.pk)
    with django_assert_num_queries(1):
        assert merchant_shop(user) == alice.merchant.shop


def test_a_user_who_is_no_merchant_has_no_shop_either_way(uma, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert merchant_shop(EmailCaseInsensitiveBackend().get_user(uma.pk)) is None
    assert merchant_shop(get_user_model().objects.get(pk=uma.pk)) is None


def test_a_shop_rebound_shows_on_the_next_request(client, alice, bob):
    client.force_login(alice)
    assert client.get(reverse("claims:policies")).context["shop"] == alice.merchant.shop
    alice.merchant.shop = bob.merchant.shop
    alice.merchant.save()
    assert client.get(reverse("claims:policies")).context["shop"] == bob.merchant.shop


@pytest.mark.parametrize(
    ("cache_url", "engine"),
    [
        ("redis://127.0.0.1:6379/1", "django.contrib.sessions.backends.cached_db"),
        ("locmemcache://", "django.contrib.sessions.backends.db"),
    ],
)
def test_sessions_are_cached_only_in_a_shared_cache(cache_url, engine):
    code = "from django.conf import settings; print(settings.SESSION_ENGINE)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "portal.settings", "CACHE_URL": cache_url, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == engine, result.stderr


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_logout_removes_a_cached_session_from_the_cache_and_the_database(client, alice):
    client.force_login(alice)
    key = client.session.session_key
    assert cache.get(CachedDbSession.cache_key_prefix + key) is not None

    client.post(reverse("logout"))

    assert cache.get(CachedDbSession.cache_key_prefix + key) is None
    assert not CachedDbSession().exists(key)
    assert client.get(reverse("claims:policies")).status_code == 302


@pytest.mark.parametrize("kind", ["own", "group", "both", "none", "inactive", "superuser"])
def test_a_users_permissions_are_modelbackends_in_one_query(kind, db, django_assert_num_queries):
    """portal.auth reads a user's own and their groups' permissions with one UNION."""
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Group, Permission

    user = get_user_model().objects.create_user(
        f"{kind}@perm.example", is_active=kind != "inactive", is_superuser=kind == "superuser"
    )
    own, shared, both = Permission.objects.order_by("id")[:3]
    if kind in ("own", "both", "inactive"):
        user.user_permissions.add(own, both)
    if kind in ("group", "both", "inactive"):
        group = Group.objects.create(name=f"reviewers-{kind}")
        group.permissions.add(shared, both)
        user.groups.add(group)

    expected = ModelBackend().get_all_permissions(get_user_model().objects.get(pk=user.pk))
    fresh = get_user_model().objects.get(pk=user.pk)
    with django_assert_num_queries(0 if kind == "inactive" else 1):
        got = EmailCaseInsensitiveBackend().get_all_permissions(fresh)
    assert got == expected
    assert (len(got) > 0) == (kind not in ("none", "inactive"))
