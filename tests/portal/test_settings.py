"""Production mode: refuses to start without a real secret, and passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = "k" * 10 + "a-real-secret-key-for-tests-only-0123456789abcdefghij"
PLATFORM_SECRET = "p" * 40


def manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "SECRET_KEY",
            "PLATFORM_WEBHOOK_SECRET",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="portal.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "secret",
    [None, "short", "django-insecure-" + "x" * 60],
    ids=["missing", "too-short", "insecure-prefix"],
)
def test_production_mode_refuses_to_start_without_a_real_secret_key(secret):
    env = {"DEBUG": "false", "PLATFORM_WEBHOOK_SECRET": PLATFORM_SECRET, "ALLOWED_HOSTS": "x.cn"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = manage("check", **env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_mode_refuses_to_start_without_the_platform_secret():
    result = manage("check", DEBUG="false", SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="x.cn")

    assert result.returncode != 0
    assert "PLATFORM_WEBHOOK_SECRET" in result.stderr


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=REAL_KEY,
        PLATFORM_WEBHOOK_SECRET=PLATFORM_SECRET,
        ALLOWED_HOSTS="warranty.example.com",
    )

    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_development_defaults_just_work():
    result = manage("check", DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_pages_carry_a_content_security_policy(client, db):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
