from tests.invoicing.conftest import media  # noqa: F401 (a fixture: issued PDFs in tmp_path)
