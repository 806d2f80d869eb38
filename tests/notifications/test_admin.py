"""Issue 11: the merchants' notifications in the insurer's admin: read-only, for staff with
the view permission only, filtered by kind, shop and read, in Chinese for zh-hans staff and in
Asia/Shanghai time."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission

from enrollment.models import Shop
from notifications.models import Notification, NotificationKind
from tests.factories import UserFactory
from tests.portal.admin_walk import headings, latin_only

pytestmark = pytest.mark.django_db

LIST = "/admin/notifications/notification/"
AT = dt.datetime(2026, 11, 25, 9, 48, tzinfo=dt.UTC)  # 17:48 in Shanghai


@pytest.fixture
def notes(shop):
    other = Shop.objects.create(platform_shop_id="TM-OTHER", name="乙店", industry=shop.industry)
    made = [
        Notification.objects.create(shop=shop, kind=NotificationKind.REJECTED, created_at=AT),
        Notification.objects.create(
            shop=shop, kind=NotificationKind.INVOICE_ISSUED, created_at=AT, read_at=AT
        ),
        Notification.objects.create(shop=other, kind=NotificationKind.REJECTED, created_at=AT),
    ]
    return made


@pytest.fixture
def viewer(client):
    """Staff with notifications.view_notification and nothing else."""
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="notifications", codename="view_notification"
        )
    )
    client.force_login(user)
    return client


def listed(client, **params) -> set[int]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {n.pk for n in response.context["cl"].result_list}


def test_staff_with_the_view_permission_list_every_shops_notifications(viewer, notes):
    assert listed(viewer) == {n.pk for n in notes}


def test_the_list_filters_by_kind_shop_and_read(viewer, notes, shop):
    rejected, issued, elsewhere = notes
    assert listed(viewer, kind__exact=NotificationKind.REJECTED) == {rejected.pk, elsewhere.pk}
    assert listed(viewer, shop__id__exact=shop.pk) == {rejected.pk, issued.pk}
    assert listed(viewer, read="yes") == {issued.pk}
    assert listed(viewer, read="no") == {rejected.pk, elsewhere.pk}
    assert listed(
        viewer, kind__exact=NotificationKind.REJECTED, read="no", shop__id__exact=shop.pk
    ) == {rejected.pk}


def test_it_is_read_only(viewer, notes):
    note = notes[0]
    change = f"{LIST}{note.pk}/change/"
    assert viewer.get(f"{LIST}add/").status_code == 403
    assert viewer.post(change, {"kind": NotificationKind.PAID}).status_code == 403
    assert viewer.get(f"{LIST}{note.pk}/delete/").status_code == 403
    page = viewer.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    note.refresh_from_db()
    assert note.kind == NotificationKind.REJECTED


def test_staff_without_the_permission_are_refused(client, notes, rita):
    client.force_login(rita)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{notes[0].pk}/change/").status_code == 403


@pytest.mark.parametrize("url", [LIST, "change"])
def test_in_zh_hans_every_heading_and_filter_is_chinese_and_times_are_shanghais(viewer, notes, url):
    url = f"{LIST}{notes[0].pk}/change/" if url == "change" else LIST
    body = viewer.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    found = headings(body)
    assert found and [text for _tag, text in found if latin_only(text)] == []
    assert "+00:00" not in body
    assert "17:48" in body and "拒" in body  # 理赔被拒 / the kind's label, not its code
    if url == LIST:
        summaries = [text for tag, text in found if tag == "summary"]
        assert summaries == ["以 类型", "以 店铺", "以 已读"]


def test_the_list_joins_each_rows_shop_and_claim(
    viewer, notes, return_on_its_way, django_assert_max_num_queries
):
    """Ten notifications about a claim cost no query each (shop, claim and refund joined)."""
    for _ in range(10):
        Notification.objects.create(
            shop=return_on_its_way.shop,
            kind=NotificationKind.RETURN_SHIPPED,
            claim=return_on_its_way,
        )
    with django_assert_max_num_queries(8):
        response = viewer.get(LIST)
    assert len(response.context["cl"].result_list) == Notification.objects.count() >= 13
