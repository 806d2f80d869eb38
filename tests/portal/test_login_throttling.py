"""Password guessing: five failures for one login from one address lock sign-in for 15 min."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def sign_in(client, password):
    return client.post(reverse("login"), {"username": "carol@shop.cn", "password": password})


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(client):
    UserFactory(username="carol@shop.cn")
    for _ in range(5):
        assert sign_in(client, "wrong").status_code == 200

    response = sign_in(client, "correct horse battery staple")

    assert response.status_code == 200
    assert "15" in response.context["form"].non_field_errors()[0]
    assert "_auth_user_id" not in client.session


def test_a_few_mistakes_do_not_lock_anyone_out(client):
    UserFactory(username="carol@shop.cn")
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client, "correct horse battery staple").status_code == 302
