"""R101: each staff group sees and changes only its own area."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal.groups import CLAIM_REVIEWER, FINANCE, UNDERWRITER

pytestmark = pytest.mark.django_db


def test_R101_the_three_staff_groups_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        UNDERWRITER,
        CLAIM_REVIEWER,
        FINANCE,
    }


def test_R101_underwriters_decide_enrollments_and_set_rates(uma):
    assert uma.has_perm("enrollment.decide_enrollment")
    assert uma.has_perm("enrollment.override_rate")
    assert uma.has_perm("enrollment.add_invitation")


@pytest.mark.parametrize("persona", ["rita", "fiona"])
def test_R101_reviewers_and_finance_cannot_touch_enrollment_or_rates(request, persona):
    user = request.getfixturevalue(persona)
    assert not user.has_perm("enrollment.decide_enrollment")
    assert not user.has_perm("enrollment.override_rate")
    assert not user.has_perm("enrollment.add_invitation")
    assert user.has_perm("enrollment.view_shop")


def test_R101_an_underwriter_has_no_permission_outside_enrollment(uma):
    assert {p.split(".")[0] for p in uma.get_all_permissions()} == {"enrollment"}


@pytest.mark.parametrize(
    ("persona", "url", "status"),
    [
        ("uma", "admin:enrollment_invitation_changelist", 200),
        ("rita", "admin:enrollment_invitation_changelist", 403),
        ("fiona", "admin:enrollment_premiumrate_add", 403),
        ("rita", "admin:enrollment_shop_changelist", 200),
    ],
)
def test_R101_admin_pages_follow_the_groups(client, request, persona, url, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(url)).status_code == status


def test_R101_merchants_cannot_enter_the_admin(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
