"""Personas, created once per test: alice runs an invited shop, bob another shop;
uma underwrites, rita reviews claims, fiona does finance."""

from importlib import import_module

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from enrollment import services
from portal.groups import CLAIM_REVIEWER, FINANCE, UNDERWRITER
from tests.factories import InvitationFactory, MerchantFactory, UserFactory

PASSWORD = "correct horse battery staple"

APPLICATION = {
    "alipay_account": "13800138000",
    "alipay_name": "杭州甲店电器有限公司",
    "return_contact": "王经理",
    "return_phone": "0571-88888888",
    "return_address": "浙江省杭州市余杭区文一西路 969 号",
    "accept_terms": True,
}


def _staff(username, group_name):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def uma(db):
    return _staff("uma", UNDERWRITER)


@pytest.fixture
def rita(db):
    return _staff("rita", CLAIM_REVIEWER)


@pytest.fixture
def fiona(db):
    return _staff("fiona", FINANCE)


@pytest.fixture
def alice(db):
    """Merchant of an invited shop (not applied yet)."""
    merchant = MerchantFactory(user__username="alice@shop-a.cn", shop__name="甲店")
    InvitationFactory(shop=merchant.shop)
    return merchant.user


@pytest.fixture
def merchant(client, alice):
    """The test client signed in as alice, the shop's merchant."""
    client.force_login(alice)
    return client


@pytest.fixture
def bob(db):
    """Merchant of another invited shop."""
    merchant = MerchantFactory(user__username="bob@shop-b.cn", shop__name="乙店")
    InvitationFactory(shop=merchant.shop)
    return merchant.user


def in_language(client, language):
    """The client, reading the pages in `language` (Django's language cookie)."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def apply(user, **overrides):
    return services.enrollment_apply(
        shop=user.merchant.shop, actor=user, **{**APPLICATION, **overrides}
    )


def enroll(user, underwriter, **overrides):
    """Apply and approve: the shop's service is active."""
    enrollment = apply(user, **overrides)
    return services.enrollment_approve(enrollment_id=enrollment.pk, actor=underwriter)


@pytest.fixture
def active_alice(alice, uma):
    enroll(alice, uma)
    return alice


ENROLLED_SINCE = "2026-05-01T09:00:00+08:00"

# Race tests: two threads, real row locks. PostgreSQL only, skipped visibly on SQLite.
POSTGRES_RACE = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="race tests need PostgreSQL row locks; run with DATABASE_URL=postgres://...",
    ),
]


@pytest.fixture
def shop(alice, uma):
    """Alice's shop, enrolled since 1 May 2026 at the base rate 1.50%."""
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime.fromisoformat(ENROLLED_SINCE), tick=False):
        enroll(alice, uma)
    return alice.merchant.shop


@pytest.fixture
def send_order_story(client, shop):
    """Sends an order's story in `shop` (`tests.factories.order_story`: placed, shipped,
    received and, given a `refund_id`, a refund asked for) and returns the API's statuses."""
    from tests.factories import order_story
    from tests.platform_api import events as ev

    def send(order_id="O1", **story):
        return ev.send(client, *order_story(order_id, shop.platform_shop_id, **story))

    return send


@pytest.fixture
def private_media(settings, tmp_path):
    """Uploads (evidence photos, invoice PDFs, exports) go to this test's own folder, which
    is returned: nothing else writes there, so what a test stored can be listed."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    return media


@pytest.fixture
def return_on_its_way(client, shop, rita):
    """Alice's orders O0 and O1 with refund requests; RO1, a return, approved by rita and
    shipped back: the claim waits for the merchant to confirm or refuse receipt (R34)."""
    from tests.factories import make_orders, return_shipped_back

    make_orders(client, shop, 2)
    return return_shipped_back(client, rita)


# Data migrations whose rows the tests need: (app, migration, function), run in this order.
SEEDING_MIGRATIONS = [
    ("enrollment", "0002_industry_pricing", "seed"),  # R51 pricing of home appliances
    ("claims", "0002_claim_settings", "seed"),  # R39/R90 claim settings
    ("portal", "0001_staff_groups", "create_groups"),  # R101 staff groups and permissions
    ("portal", "0002_claims_groups", "grant_claims"),  # R101 the claims area's permissions
    ("portal", "0003_invoicing_groups", "grant_invoicing"),  # R101 finance's invoicing area
    ("portal", "0004_payouts_groups", "grant_payouts"),  # R101/R114 finance's payout batches
]


@pytest.fixture
def migration_data(transactional_db):
    """Put back what `migrate` left in the test database before the first test.

    Every transactional test (live_server's included) empties the database when it ends.
    A plain one then re-creates content types and permissions (post_migrate); one with
    `serialized_rollback`  does not, and leaves
    ContentType's cache holding ids that no longer exist (the admin's LogEntry insert then
    fails with a foreign-key error). So: run the post_migrate handlers (content types and
    permissions, idempotent; they also clear that cache), then the seeding data migrations.

    Each data migration function gets the historical app registry of its own migration, as
    in `migrate` (portal.groups.grant toggles `models_module` on the app config it is given,
    which must not be the live registry's). They are idempotent (get_or_create).
    """
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    for app_label, name, function in SEEDING_MIGRATIONS:
        state_apps = loader.project_state((app_label, name)).apps
        module = import_module(f"{app_label}.migrations.{name}")
        with connection.schema_editor(atomic=True) as schema_editor:
            getattr(module, function)(state_apps, schema_editor)
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (login throttling, dashboard month sums)."""
    from django.core.cache import cache

    cache.clear()
    yield
