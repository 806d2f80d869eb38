from tests.claims.test_merchant_pages import return_on_its_way  # noqa: F401 (a fixture)
