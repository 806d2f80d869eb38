"""The insurer's record lists in the admin find a policy, refund or buyer by its exact id
(portal.admin_kit.ExactIdSearch; issue 10): each id through its own index, case as sent,
the term stripped. tests/claims/test_query_plans.py checks the plans on PostgreSQL."""

import pytest
from django.conf import settings

from claims.models import Buyer, Policy

pytestmark = pytest.mark.django_db


def found(client, url, term):
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_a_policy_is_found_by_its_number_or_its_order_id(client, rita, received_order):
    client.force_login(rita)
    policy = Policy.objects.get()
    url = "/admin/claims/policy/"

    assert found(client, url, f"  {policy.policy_no} ") == [policy]
    assert found(client, url, received_order) == [policy]
    assert found(client, url, policy.policy_no.lower()) == []  # ids are matched as sent
    assert found(client, url, policy.policy_no[:-1]) == []  # exact, not a prefix
    assert len(found(client, url, "")) == 1  # no term: the whole list


def test_a_refund_request_and_a_buyer_are_found_by_their_ids(client, rita, request_refund):
    refund = request_refund("R1")
    client.force_login(rita)

    assert found(client, "/admin/claims/refundrequest/", "R1") == [refund]
    assert found(client, "/admin/claims/refundrequest/", received_order_id(refund)) == [refund]
    assert found(client, "/admin/claims/refundrequest/", "R") == []
    buyer = Buyer.objects.get(pk=refund.claim.buyer_id)
    assert found(client, "/admin/claims/buyer/", buyer.platform_buyer_id) == [buyer]
    assert found(client, "/admin/claims/buyer/", "nobody") == []


def received_order_id(refund) -> str:
    return refund.order.platform_order_id


def test_a_large_tables_list_counts_up_to_a_cap_and_says_so(
    client, rita, send_order_story, monkeypatch
):
    from portal.admin_kit import CappedCountPaginator

    for n in range(3):
        send_order_story(f"O{n}", buyer=f"b{n}", refund_id=f"R{n}")
    client.force_login(rita)
    url = "/admin/claims/policy/"

    exact = client.get(url)
    assert exact.context["cl"].result_count == 3 and "3 " in text_of_pagination(exact)

    monkeypatch.setattr(CappedCountPaginator, "CAP", 2)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    capped = client.get(url)
    assert capped.context["cl"].result_count == 2 and capped.context["cl"].paginator.capped
    assert "2+ " in text_of_pagination(capped)
    assert len(capped.context["cl"].result_list) == 3  # every row of the page is shown
    assert "2+ results" in text_of_toolbar(capped)  # the search form's count says it too
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "2+ 个结果" in text_of_toolbar(client.get(url))
    monkeypatch.setattr(CappedCountPaginator, "CAP", 3)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "3 results" in text_of_toolbar(client.get(url))  # not capped: no "+"


def text_of_toolbar(response) -> str:
    body = response.content.decode()
    return body[body.index('<div id="toolbar">') :].split("</form>")[0]


def text_of_pagination(response) -> str:
    body = response.content.decode()
    return body[body.index('<nav class="paginator"') :].split("</nav>")[0]
