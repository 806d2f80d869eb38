"""Test settings: the real settings, with a fast password hasher and throw-away uploads."""

import tempfile

from portal.settings import *  # noqa: F403
from portal.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Uploaded evidence and invoices go to a throw-away folder, never into the checkout.
MEDIA_ROOT = tempfile.mkdtemp(prefix="warranty-test-media-")
STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
STATIC_ROOT = None  # nothing collected in tests; whitenoise would warn about the folder
