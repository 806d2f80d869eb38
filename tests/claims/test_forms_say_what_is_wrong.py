"""Issue 11, point 1: the merchant's claim forms (R34 refusing a return, R60 reporting a
buyer) show each error beside its field in the merchant's language, keep what was typed,
ask again for a file with the reason, and never show an exception's text."""

import io
import re

import pytest
from django.urls import reverse

from claims.models import BuyerFeedback, Claim, Policy
from claims.services import decisions
from tests.conftest import in_language
from tests.factories import make_orders
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db

NOT_AN_IMAGE = {
    "zh-hans": "“photo.jpg”不是 JPEG、PNG 或 WebP 图片，或文件已损坏：请重新选择。",
    "en": "“photo.jpg” is not a JPEG, PNG or WebP image, or it is damaged: choose it again.",
}
CHOOSE_AGAIN = {
    "zh-hans": "页面无法保留您选择的文件：请先改正其他栏目，再重新选择文件。",
    "en": "The page cannot keep files you chose: please fix the other fields, then choose the "
    "files again.",
}
REQUIRED = {"zh-hans": "这个字段是必填项。", "en": "This field is required."}


def _file(name: str, data: bytes) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


@pytest.fixture
def policy(client, shop):
    make_orders(client, shop, 1, refunds=False)
    return Policy.objects.get()


def _field_errors(body: str, field: str) -> str:
    """The errors printed right after the field's input (templates/portal/_form.html)."""
    marker = f'id="id_{field}_error"'
    assert marker in body, (field, body[:2000])
    return body.split(marker, 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_R60_a_text_file_named_jpg_is_named_beside_the_photos_and_the_description_is_kept(
    merchant, policy, language
):
    url = reverse("claims:policy_report", args=[policy.pk])
    response = in_language(merchant, language).post(
        url,
        {
            "category": "profiteering",
            "description": "一周三次退款 & <还要运费>",
            "photos": [_file("photo.jpg", b"just text")],
        },
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert NOT_AN_IMAGE[language] in _unescape(_field_errors(body, "photos"))
    assert "一周三次退款 &amp; &lt;还要运费&gt;</textarea>" in body  # typed, kept, escaped
    assert re.search(r'value="profiteering"[^>]* checked', body)
    assert "UnidentifiedImageError" not in body
    assert not BuyerFeedback.objects.exists()


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_R60_an_empty_report_names_each_missing_field_on_a_page_that_reloads(
    merchant, policy, language
):
    url = reverse("claims:policy_report", args=[policy.pk])
    response = in_language(merchant, language).post(
        url, {"photos": [_file("a.png", ev.png_bytes())]}
    )

    assert response.status_code == 400
    body = _unescape(response.content.decode())
    assert REQUIRED[language] in _field_errors(body, "category")
    assert REQUIRED[language] in _field_errors(body, "description")
    # a good photo cannot be kept by the page: asked for again, with why
    assert CHOOSE_AGAIN[language] in _field_errors(body, "photos")
    # the address bar now holds the report URL: a reload or the language switch GETs it
    again = merchant.get(url)
    assert again.status_code == 200 and 'data-testid="report-buyer"' in again.content.decode()
    assert not BuyerFeedback.objects.exists()


def test_R60_a_report_from_a_claim_with_errors_stays_on_the_claims_report_page(
    merchant,
    return_on_its_way,
):
    url = reverse("claims:claim_report", args=[return_on_its_way.pk])
    response = in_language(merchant, "en").post(url, {"category": "other", "description": "  "})

    assert response.status_code == 400
    body = _unescape(response.content.decode())
    assert REQUIRED["en"] in _field_errors(body, "description")
    assert return_on_its_way.refund.platform_refund_id in body  # the way back to the claim
    assert not BuyerFeedback.objects.exists()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_R34_a_refusal_with_a_fake_photo_says_so_beside_the_photos_and_keeps_the_note(
    merchant,
    return_on_its_way,
    language,
):
    url = reverse("claims:refuse", args=[return_on_its_way.pk])
    response = in_language(merchant, language).post(
        url,
        {"ground": "wrong_item", "note": "寄回的是别的型号", "photos": [_file("photo.jpg", b"MZ")]},
    )

    assert response.status_code == 400
    body = _unescape(response.content.decode())
    assert NOT_AN_IMAGE[language] in _field_errors(body, "photos")
    assert "寄回的是别的型号</textarea>" in body
    assert "UnidentifiedImageError" not in body
    assert Claim.objects.get(pk=return_on_its_way.pk).state == "return_shipped"


def test_R34_a_refusal_without_a_ground_asks_for_the_photos_again_and_for_the_ground(
    merchant,
    return_on_its_way,
):
    url = reverse("claims:refuse", args=[return_on_its_way.pk])
    response = in_language(merchant, "zh-hans").post(
        url, {"note": "空箱", "photos": [_file("box.png", ev.png_bytes())]}
    )

    body = _unescape(response.content.decode())
    assert response.status_code == 400
    assert REQUIRED["zh-hans"] in _field_errors(body, "ground")
    assert CHOOSE_AGAIN["zh-hans"] in _field_errors(body, "photos")


def test_R34_a_service_refusal_in_developer_words_reaches_the_page_as_a_sentence(
    merchant,
    return_on_its_way,
    monkeypatch,
):
    """Whatever a service says in the event API's words (a class name in brackets), the
    page shows the translated sentence of its code, beside the photos."""
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError(
            {"evidence": ValidationError("'x.png' is not valid (OSError)", code="evidence")}
        )

    monkeypatch.setattr(decisions, "claim_refuse_receipt", refuse)
    response = in_language(merchant, "en").post(
        reverse("claims:refuse", args=[return_on_its_way.pk]),
        {"ground": "wrong_item", "note": "x", "photos": [_file("a.png", ev.png_bytes())]},
    )

    body = _unescape(response.content.decode())
    assert "OSError" not in body
    assert "A photo could not be read as a JPEG, PNG or WebP image: choose it again." in (
        _field_errors(body, "photos")
    )
