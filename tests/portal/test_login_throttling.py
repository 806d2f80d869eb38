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


def test_behind_the_tls_proxy_each_client_is_counted_apart(client, settings):
    """With BEHIND_TLS_PROXY every request comes from the proxy's address: the client is the
    last X-Forwarded-For entry, so one guesser does not lock everybody out."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    UserFactory(username="carol@shop.cn")
    for i in range(20):
        client.post(
            reverse("login"),
            {"username": f"nobody{i}@x.cn", "password": "wrong"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )

    guesser = client.post(
        reverse("login"),
        {"username": "carol@shop.cn", "password": "correct horse battery staple"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert guesser.status_code == 200  # that client is locked out
    other = client.post(
        reverse("login"),
        {"username": "carol@shop.cn", "password": "correct horse battery staple"},
        headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7"},  # a forged first entry is ignored
    )
    assert other.status_code == 302
