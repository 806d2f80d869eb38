"""Issue 11: an invalid field looks invalid, to the eye and to a screen reader, at 1366 px and
390 px in zh-hans and en: a red border and aria-invalid="true" on the merchant list filters'
inputs and selects and on a form's fields, next to the error message they are described by;
the valid fields beside them keep their grey border and no aria-invalid."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_enrollment_flow import sign_in
from tests.browser.test_forms_filters_errors import _browser_page, paid_policy  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

RED = "rgb(185, 28, 28)"  # portal.css --bad
BORDER_JS = "e => getComputedStyle(e).borderTopColor"


def assert_invalid(page: Page, selector: str) -> None:
    field = page.locator(selector)
    expect(field).to_have_attribute("aria-invalid", "true")
    error_id = field.get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#{error_id}")).to_be_visible()  # the message it is described by
    assert field.evaluate(BORDER_JS) == RED, selector


def assert_valid(page: Page, selector: str) -> None:
    field = page.locator(selector)
    expect(field).not_to_have_attribute("aria-invalid", "true")
    assert field.evaluate(BORDER_JS) != RED, selector


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", ["laptop", "phone"])
def test_issue11_an_invalid_field_has_a_red_border_and_aria_invalid(
    live_server,
    new_context,
    paid_policy,  # noqa: F811
    width,
    language,
):
    page = _browser_page(new_context, live_server.url, width, language)
    page.goto(live_server.url + "/accounts/login/")
    sign_in(page, "alice@shop-a.cn", PASSWORD)

    # a filter's date input (the Django-template list) beside a valid select
    page.goto(live_server.url + "/policies/?status=claim_paid&issued_from=2026-11-31")
    assert_invalid(page, "#id_issued_from")
    assert_valid(page, "#id_status")
    assert_valid(page, "#id_issued_to")

    # a filter's select (the Jinja2 list) and a too-long search
    page.goto(live_server.url + f"/refunds/?business=warranty&state=foo&q={'x' * 200}")
    assert_invalid(page, "#id_state")
    assert_invalid(page, "#id_q")
    assert_valid(page, "#id_business")

    # a form sent empty: the description (a textarea) says it is required
    page.goto(f"{live_server.url}/policies/{paid_policy.pk}/")
    page.get_by_test_id("report-buyer").click()
    assert_invalid(page, "#id_description")
    assert_valid(page, "#id_photos")
