"""The hot merchant lists after issue 10: Jinja2 pages with the same shell, translations and
filters as the Django templates they replaced (R3, R24, R44, R100)."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import template as django_template

from claims.models import Claim, ClaimState, Policy, PolicyStatus
from claims.services import decisions
from portal.pagination import PER_PAGE
from tests.claims.same_page import SCRIPT, assert_escaped
from tests.factories import ShopFactory, make_orders

pytestmark = pytest.mark.django_db

JINJA2 = Path(settings.BASE_DIR) / "jinja2"


def _shell(body: str) -> str:
    """The page around <main>, without what differs by page (title, current link, token)."""
    head, _, rest = body.partition('<main id="main" class="container">')
    _, _, foot = rest.partition("</main>")
    shell = re.sub(r"<title>.*?</title>", "", head + foot, flags=re.S)
    shell = re.sub(r' aria-current="page"', "", shell)
    shell = re.sub(r'value="[^"]*"', 'value=""', shell)  # csrf mask, ?next=
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", shell)).strip()


def _msgids(po: Path) -> set[str]:
    """The msgids of a .po file (continued lines joined), without a gettext library."""
    ids, current = set(), None
    for line in po.read_text().splitlines():
        if line.startswith("msgid "):
            current = [line[6:]]
        elif line.startswith('"') and current is not None:
            current.append(line)
        else:
            if current is not None:
                ids.add("".join(part.strip()[1:-1] for part in current).replace('\\"', '"'))
            current = None
    return ids


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_jinja2_lists_have_the_django_templates_shell(merchant, shop, language):
    merchant.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    django_page = merchant.get(reverse("claims:feedback")).content.decode()
    for name in ("claims:policies", "claims:refunds", "claims:payouts"):
        response = merchant.get(reverse(name))
        assert response.status_code == 200
        assert _shell(response.content.decode()) == _shell(django_page)


def test_the_jinja2_lists_mark_their_menu_entry_and_carry_a_csrf_token(merchant, shop):
    body = merchant.get(reverse("claims:refunds")).content.decode()

    assert f'<a href="{reverse("claims:refunds")}" aria-current="page">' in body
    assert body.count('name="csrfmiddlewaretoken"') == 2  # language switch, log out


def test_the_jinja2_lists_escape_what_they_show(merchant, client, shop):
    shop.name = SCRIPT
    shop.save()

    body = merchant.get(reverse("claims:policies")).content.decode()

    assert_escaped(body)


def test_R3_every_string_of_the_jinja2_templates_is_extracted_and_translated():
    """`makemessages` reads `{{ _("...") }}` in these files like `{% translate %}`."""
    catalog = _msgids(Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po")
    for path in JINJA2.rglob("*.html"):
        source = path.read_text()
        strings = re.findall(r"""_\((?:"([^"]+)"|'([^']+)')\)""", source)
        assert strings, path
        extracted = django_template.templatize(source, origin=str(path))
        for double, single in strings:
            text = double or single
            assert f"_({text!r})" in extracted or f'_("{text}")' in extracted, (path, text)
            assert text in catalog, (path, text)
        assert "{% trans" not in source and "{% blocktrans" not in source, path


def test_R3_the_jinja2_admin_frame_says_what_djangos_admin_says_in_its_words():
    """`admin_text("...")` (jinja2/admin/) is a message of Django's admin: its own catalog
    translates it, as it does in Django's admin templates."""
    import django.contrib.admin

    admin_po = Path(django.contrib.admin.__file__).parent / "locale/zh_Hans/LC_MESSAGES/django.po"
    catalog = _msgids(admin_po)
    found = []
    for path in (JINJA2 / "admin").rglob("*.html"):
        found += re.findall(r"""admin_text\("([^"]+)"\)""", path.read_text())
    assert "Welcome," in found and "Log out" not in found  # the portal's own says Log out
    for text in found:
        assert text in catalog, text
    with translation.override("zh-hans"):
        assert all(translation.gettext(text) != text for text in found)


def test_R24_the_expired_filter_lists_exactly_the_expired_policies(merchant, client, shop):
    make_orders(client, shop, 5, refunds=False)
    now = timezone.now()
    policies = list(Policy.objects.order_by("id"))
    # (shipped days ago, received days later): only the first and last ones' 720 h are
    # over, and the last policy is another shop's
    history = [(40, 1), (35, 7), (29, 1), (10, 1), (50, 1)]
    Policy.objects.filter(pk=policies[-1].pk).update(shop=ShopFactory())
    for policy, (days_ago, delivery) in zip(policies, history, strict=True):
        issued = now - dt.timedelta(days=days_ago)
        start = issued + dt.timedelta(days=delivery)
        Policy.objects.filter(pk=policy.pk).update(
            issued_at=issued, coverage_start=start, coverage_end=start + dt.timedelta(hours=720)
        )

    response = merchant.get(reverse("claims:policies"), {"status": "expired"})

    mine = Policy.objects.filter(shop=shop).order_by("-issued_at")
    expected = [p for p in mine if p.status(now) == "expired"]
    assert [p.pk for p in response.context["page"]] == [p.pk for p in expected]
    assert len(expected) == 1
    # the total, counted from the (shop, claim_status, coverage_end) index (issue 10)
    assert (response.context["page"].total, response.context["page"].more) == (1, False)
    assert {p.current_status for p in response.context["page"]} == {PolicyStatus.EXPIRED}


def test_R44_the_refunds_in_a_claim_state_page_in_request_order(merchant, client, shop, rita):
    make_orders(client, shop, 80)  # 64 covered requests, their claims submitted
    for claim in Claim.objects.order_by("id")[:3]:
        decisions.claim_approve(claim_id=claim.pk, actor=rita)
    submitted = Claim.objects.filter(state=ClaimState.SUBMITTED)
    assert submitted.count() > 2 * PER_PAGE

    pages = [merchant.get(reverse("claims:refunds"), {"state": "submitted"}).context["page"]]
    while pages[-1].next_url:
        pages.append(merchant.get(reverse("claims:refunds") + pages[-1].next_url).context["page"])
    first, second = pages[0], pages[1]

    rows = [row for page in pages for row in page]
    assert len(first) == PER_PAGE and len(pages) == -(-submitted.count() // PER_PAGE)
    expected = submitted.order_by("-refund__requested_at", "-refund_id")
    assert [r.pk for r in rows] == [c.refund_id for c in expected]
    back = merchant.get(reverse("claims:refunds") + second.prev_url)
    assert [r.pk for r in back.context["page"]] == [r.pk for r in first]
