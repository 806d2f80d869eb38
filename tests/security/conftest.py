import pytest


@pytest.fixture
def private_media(settings, tmp_path):
    """Uploads of this test only, in a folder of its own (so strays can be counted)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path
