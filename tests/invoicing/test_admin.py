"""R75, R101: finance's queue in the admin (sorted by deadline, overdue first and flagged,
buttons for the transitions), the working-calendar overrides, and nobody else's access."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoicing import services
from invoicing.models import CalendarOverride, InvoiceRequest
from tests.invoicing.helpers import PAPER, PDF, issue, make_policy, request_data, shanghai

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:invoicing_invoicerequest_changelist")
CALENDAR = reverse("admin:invoicing_calendaroverride_changelist")
D = dt.date


@pytest.fixture
def as_fiona(client, fiona, frozen):
    client.force_login(fiona)
    return client


def change_url(invoice):
    return reverse("admin:invoicing_invoicerequest_change", args=[invoice.pk])


def transition_url(invoice, name):
    return reverse("admin:invoicing_invoicerequest_transition", args=[invoice.pk, name])


# --- R101: who sees the area ---


def test_R101_finance_holds_the_invoicing_permissions(fiona):
    assert fiona.has_perm("invoicing.process_invoice")
    assert fiona.has_perm("invoicing.view_invoicerequest")
    assert fiona.has_perm("invoicing.change_calendaroverride")
    assert not fiona.has_perm("invoicing.change_invoicerequest")  # changes are transitions


@pytest.mark.parametrize("persona", ["uma", "rita"])
def test_R101_underwriters_and_reviewers_have_nothing_in_invoicing(request, persona):
    user = request.getfixturevalue(persona)
    assert not [p for p in user.get_all_permissions() if p.startswith("invoicing.")]


@pytest.mark.parametrize(
    ("persona", "url", "status"),
    [
        ("fiona", QUEUE, 200),
        ("fiona", CALENDAR, 200),
        ("uma", QUEUE, 403),
        ("rita", QUEUE, 403),
        ("rita", CALENDAR, 403),
    ],
)
def test_R101_only_finance_sees_the_queue(client, request, persona, url, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url).status_code == status


def test_R101_a_reviewer_cannot_run_a_transition(client, rita, premiums, submit):
    invoice = submit()
    client.force_login(rita)
    response = client.post(transition_url(invoice, "reject"), {"reason": "no"})
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.state == "submitted"


# --- R75: the queue ---


def test_R75_the_queue_is_sorted_by_deadline_with_overdue_first_and_flagged(
    client, fiona, shop, alice
):
    def request_at(when, month):
        make_policy(shop, premium="3.00", issued_at=shanghai(2026, month, 5, 12))
        with time_machine.travel(when, tick=False):
            return services.invoice_request_create(
                shop=shop,
                actor=alice,
                **request_data(first_month=D(2026, month, 1), last_month=D(2026, month, 1)),
            )

    done = request_at(shanghai(2026, 6, 1, 9), 5)  # deadline 9 Jun, processed in time
    with time_machine.travel(shanghai(2026, 6, 2, 9), tick=False):
        issue(done, fiona, number="26330000000000000001", date=D(2026, 6, 2))
    fresh = request_at(shanghai(2026, 7, 9, 9), 7)  # deadline 17 Jul
    late = request_at(shanghai(2026, 6, 20, 9), 6)  # deadline 30 Jun: overdue on 10 Jul
    client.force_login(fiona)
    with time_machine.travel(shanghai(2026, 7, 10, 10), tick=False):
        response = client.get(QUEUE)

    assert [i.pk for i in response.context["cl"].result_list] == [late.pk, fresh.pk, done.pk]
    table = re.search(r'<table id="result_list">.*?</table>', response.content.decode(), re.S)
    rows = re.findall(r"<tr.*?</tr>", table.group(0), re.S)[1:]  # after the header
    assert ["⚠" in row for row in rows] == [True, False, False]
    assert [m.level_tag for m in response.context["messages"]].count("error") == 1


def test_R75_the_queue_filters_overdue_requests(as_fiona, premiums, submit):
    submit()
    response = as_fiona.get(QUEUE, {"overdue": "overdue"})
    assert list(response.context["cl"].result_list) == []
    response = as_fiona.get(QUEUE, {"overdue": "pending"})
    assert len(response.context["cl"].result_list) == 1


@pytest.mark.parametrize("term", ["甲店", "26330000000012345678"])
def test_R75_finance_finds_a_request_by_shop_or_invoice_number(
    as_fiona, fiona, premiums, submit, term
):
    invoice = submit()
    issue(invoice, fiona)  # number 26330000000012345678: finance issues (R101), not the merchant
    response = as_fiona.get(QUEUE, {"q": term})
    assert [i.pk for i in response.context["cl"].result_list] == [invoice.pk]


def test_R72_the_queue_and_the_calendar_warn_that_2027_has_no_schedule(as_fiona):
    for url in (QUEUE, CALENDAR):
        messages = [str(m) for m in as_fiona.get(url).context["messages"]]
        assert any("2027" in m for m in messages), url
        assert not any("2026" in m for m in messages), url


def test_R72_no_warning_once_finance_entered_2027(as_fiona):
    CalendarOverride.objects.create(date=D(2027, 2, 20), is_working_day=True, note="调休")
    messages = [str(m) for m in as_fiona.get(QUEUE).context["messages"]]
    assert not any("2027" in m for m in messages)


# --- R73: transitions as buttons ---


def test_R75_a_submitted_request_shows_issue_and_reject(as_fiona, premiums, submit):
    invoice = submit()
    response = as_fiona.get(change_url(invoice))

    assert response.status_code == 200
    assert [t.name for t in response.context["admin_transitions"]] == ["issue", "reject"]


def test_R75_an_issued_paper_invoice_shows_ship_and_an_electronic_one_nothing(
    as_fiona, premiums, submit, fiona
):
    paper = submit(last_month=D(2026, 5, 1), **PAPER)
    electronic = submit(first_month=D(2026, 6, 1))
    issue(paper, fiona, number="26330000000000000001")
    issue(electronic, fiona, number="26330000000000000002")

    assert [t.name for t in as_fiona.get(change_url(paper)).context["admin_transitions"]] == [
        "ship"
    ]
    assert as_fiona.get(change_url(electronic)).context["admin_transitions"] == []


def test_R73_the_issue_page_uploads_the_pdf(as_fiona, premiums, submit):
    invoice = submit()
    page = as_fiona.get(transition_url(invoice, "issue")).content.decode()
    assert 'enctype="multipart/form-data"' in page

    response = as_fiona.post(
        transition_url(invoice, "issue"),
        {
            "invoice_number": "26330000000012345678",
            "invoice_date": "2026-07-10",
            "pdf": SimpleUploadedFile("fapiao.pdf", PDF, content_type="application/pdf"),
        },
    )

    assert response.status_code == 302 and response["Location"] == change_url(invoice)
    invoice.refresh_from_db()
    assert invoice.state == "issued" and invoice.invoice_pdf


def test_R73_a_fake_pdf_in_the_admin_is_refused_on_the_form(as_fiona, premiums, submit):
    invoice = submit()
    response = as_fiona.post(
        transition_url(invoice, "issue"),
        {
            "invoice_number": "26330000000012345678",
            "invoice_date": "2026-07-10",
            "pdf": SimpleUploadedFile("fapiao.pdf", b"<html>not a pdf</html>"),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["pdf"]
    invoice.refresh_from_db()
    assert invoice.state == "submitted" and not invoice.invoice_pdf


def test_R73_a_tracking_number_for_an_electronic_invoice_is_refused_on_the_form(
    as_fiona, premiums, submit, fiona
):
    invoice = submit()
    issue(invoice, fiona)
    response = as_fiona.post(
        transition_url(invoice, "ship"), {"carrier": "顺丰速运", "tracking_number": "SF14000001"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["tracking_number"] == [
        str(services.TRACKING_ON_ELECTRONIC)
    ]
    invoice.refresh_from_db()
    assert invoice.state == "issued" and invoice.tracking_number == ""


def test_R73_finance_ships_and_rejects_through_the_admin(as_fiona, premiums, submit, fiona):
    paper = submit(last_month=D(2026, 5, 1), **PAPER)
    other = submit(first_month=D(2026, 6, 1))
    issue(paper, fiona, number="26330000000000000001")
    as_fiona.post(
        transition_url(paper, "ship"), {"carrier": "EMS", "tracking_number": "1100123456789"}
    )
    as_fiona.post(transition_url(other, "reject"), {"reason": "税号与抬头不符"})

    paper.refresh_from_db()
    other.refresh_from_db()
    assert (paper.state, paper.tracking_number) == ("shipped", "1100123456789")
    assert (other.state, other.rejection_reason) == ("rejected", "税号与抬头不符")


def test_R75_the_change_page_lists_the_premiums_and_the_timeline(as_fiona, premiums, submit):
    invoice = submit()
    html = as_fiona.get(change_url(invoice)).content.decode()
    for policy in premiums[:3]:
        assert policy.policy_no in html
    assert premiums[3].policy_no not in html


def test_R73_nobody_adds_or_deletes_requests_in_the_admin(as_fiona, premiums, submit):
    invoice = submit()
    assert as_fiona.get(reverse("admin:invoicing_invoicerequest_add")).status_code == 403
    delete = reverse("admin:invoicing_invoicerequest_delete", args=[invoice.pk])
    assert as_fiona.post(delete, {"post": "yes"}).status_code == 403
    assert InvoiceRequest.objects.count() == 1


# --- R72: the calendar overrides ---


def test_R72_finance_adds_a_calendar_override_that_moves_new_deadlines(
    as_fiona, fiona, premiums, submit
):
    response = as_fiona.post(
        reverse("admin:invoicing_calendaroverride_add"),
        {"date": "2026-07-13", "is_working_day": "", "note": "台风停工"},
    )

    assert response.status_code == 302
    override = CalendarOverride.objects.get()
    assert (override.date, override.is_working_day, override.updated_by) == (
        D(2026, 7, 13),
        False,
        fiona,
    )
    # Fri 10 Jul: Mon 13 off now; Tue 14 (1) .. Fri 17 (4), Mon 20 (5), Tue 21 (6).
    assert submit().due_date == D(2026, 7, 21)
    changelist = as_fiona.get(CALENDAR).content.decode()
    assert "台风停工" in changelist
