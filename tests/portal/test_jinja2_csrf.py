"""A Jinja2 page masks its CSRF token once for all its forms, as a Django template's
`{% csrf_token %}` does (portal/jinja2.py, issue 10), and each form still posts."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_form_of_a_page_carries_the_same_token_and_it_is_accepted(alice, shop):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.get(reverse("claims:policies"))
    assert response.status_code == 200
    assert response.templates[0].filename.endswith("jinja2/claims/policy_list.html")
    body = response.content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert len(tokens) == 2 and len(set(tokens)) == 1  # the language switch, log out

    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/", "csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302


def test_a_page_without_the_token_is_refused_still(alice, shop):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("claims:policies"))
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 403
