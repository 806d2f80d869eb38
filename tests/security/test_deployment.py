"""Production hardening as a browser sees it, password guessing, and no secret in the repo.

`manage.py check --deploy` itself is tests/portal/test_settings.py and a step of .ci/run.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="warranty.example.com")
page = client.get("/accounts/login/", secure=True)
plain = client.get("/accounts/login/")
api = client.get("/api/v1/openapi.json", secure=True)
print(json.dumps({
    "headers": dict(page.headers),
    "cookie": {k: dict(v) for k, v in page.cookies.items()},
    "plain": [plain.status_code, plain.headers.get("Location")],
    "api_hsts": api.headers.get("Strict-Transport-Security"),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
}))
"""


@pytest.fixture(scope="module")
def production():
    """What a production-mode portal answers (a subprocess with production settings)."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    key, platform_secret = "production-probe-" + "x" * 50, "p" * 40
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        SECRET_KEY=key,
        PLATFORM_WEBHOOK_SECRET=platform_secret,
        ALLOWED_HOSTS="warranty.example.com",
        DATABASE_URL="sqlite:///:memory:",
        STATIC_MANIFEST="false",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_pages_send_hsts_csp_and_framing_headers(production):
    headers = production["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csp = headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert production["api_hsts"]  # the API too


def test_production_cookies_are_secure_and_http_goes_to_https(production):
    csrf = production["cookie"]["csrftoken"]
    assert csrf["secure"] is True and csrf["samesite"] == "Lax"
    assert production["session_cookie_secure"] and production["session_cookie_httponly"]
    status, location = production["plain"]
    assert status == 301 and location.startswith("https://warranty.example.com/")


# --- password guessing (portal/forms.py) ---


@pytest.fixture
def boss(db):
    cache.clear()
    yield UserFactory(username="boss", is_staff=True, is_superuser=True)
    cache.clear()


def test_password_guessing_at_the_admin_login_is_throttled_too(client, boss):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "boss", "password": "wrong"})

    response = client.post(
        reverse("admin:login"), {"username": "boss", "password": "correct horse battery staple"}
    )

    assert response.status_code == 200
    assert "15" in str(response.context["form"].non_field_errors())
    assert "_auth_user_id" not in client.session


def test_failures_count_across_the_portal_and_the_admin_logins(client, boss):
    for url in [reverse("login")] * 3 + [reverse("admin:login")] * 2:
        client.post(url, {"username": "boss", "password": "wrong"})

    response = client.post(
        reverse("login"), {"username": "boss", "password": "correct horse battery staple"}
    )

    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


# --- no secret in the repository ---

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret key": re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}", re.I),
    "GitHub token": re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|github_pat_\w{60,}"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Alipay/RSA key blob": re.compile(r"MII[BCDEFGJ][A-Za-z0-9+/]{200,}"),
}
# A setting assigned a literal: in Python ("NAME = '...'", "'NAME': '...'") or shell/env (NAME=...).
SETTING = r"(?:SECRET_KEY|PLATFORM_WEBHOOK_SECRET|EMAIL_HOST_PASSWORD|DATABASE_PASSWORD)"
QUOTED = re.compile(SETTING + r"""["']?\s*[=:]\s*(["'])(.*?)\1""")
SHELL = re.compile(SETTING + r"""=([^\s"'$;]+)""")
DOCUMENTED_DEFAULTS = {
    "django-insecure-development-only-key-never-use-in-production",  # portal/settings.py
    "dev-platform-secret",  # the simulator's default (development only)
    "...",  # placeholders in README
}


def _allowed(value: str) -> bool:
    return (
        value in DOCUMENTED_DEFAULTS
        or "$(" in value  # generated at run time (.ci/run)
        or value.startswith(("<", "${", "$"))
        or value == ""
    )


def repository_files() -> list[Path]:
    """Tracked files plus new ones not ignored: a secret is caught before it is committed."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing to scan")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def find_secrets(files) -> list[str]:
    found = []
    for path in files:
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8000]:
            continue  # binary (compiled translations, images)
        text = data.decode("utf-8", "replace")
        name = path.relative_to(ROOT)
        for label, pattern in SECRET_PATTERNS.items():
            if pattern.search(text):
                found.append(f"{name}: {label}")
        for match in QUOTED.finditer(text):
            if not _allowed(match.group(2)):
                found.append(f"{name}: {match.group(0)[:60]}")
        if path.suffix != ".py":
            for match in SHELL.finditer(text):
                if not _allowed(match.group(1)):
                    found.append(f"{name}: {match.group(0)[:60]}")
    return found


def test_no_secret_in_the_repository():
    files = repository_files()
    assert len(files) > 100
    assert not [f for f in files if f.name == ".env" or f.suffix in (".pem", ".key", ".p12")]
    assert find_secrets(files) == []


# Planted secrets, assembled at run time so that this file does not hold them.
PLANTED = [
    ("SECRET_KEY", ' = "', "k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8o9p0z1x2c3v4b5n6m7", '"'),
    ("export SECRET_KEY", "=", "k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8o9p0", ""),
    ('"PLATFORM_WEBHOOK_SECRET"', ': "', "shared-with-the-marketplace-123", '"'),
    ("-----BEGIN RSA ", "PRIVATE", " KEY-----", ""),
    ("aws_access_key_id = ", "AKIA", "IOSFODNN7EXAMPLE", ""),
]


@pytest.mark.parametrize("parts", PLANTED, ids=[p[0].strip('"-') for p in PLANTED])
def test_the_secret_scan_finds_planted_secrets(tmp_path, parts, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    planted = tmp_path / "settings.txt"
    planted.write_text("# config\n" + "".join(parts) + "\n")
    assert find_secrets([planted])


# --- SQL only through the ORM ---

RAW_SQL = re.compile(r"\.raw\(|\.extra\(|RawSQL\(|cursor\(\)|\.execute\(")
APP_PACKAGES = (
    "portal",
    "claims",
    "enrollment",
    "invoicing",
    "platform_api",
    "exports",
    "notifications",
    "outbox",
    "payouts",
    "demo",
)
RAW_SQL_ALLOWED = {"portal/views.py": 'cursor.execute("SELECT 1")'}  # /healthz, no input
# Reviewed set-based SQL: every value goes as a query parameter (`.execute(sql, params)`).
RAW_SQL_PARAMETERIZED = {
    "claims/services/sweep.py",  # issue 10: the deadline sweep in set-based statements
    "claims/rollups.py",  # issue 10: rollup deltas by INSERT … ON CONFLICT, rebuilt set-based
    "portal/csv_export.py",  # issue 10: exports with COPY … TO STDOUT
    "exports/services.py",  # issue 10: an export's progress, beside the COPY's connection
    "platform_api/bulk.py",  # issue 10: event ingestion's multi-row UPDATE … FROM (VALUES …)
    "portal/db_router.py",  # issue 14: WAL positions (pg_current_wal_lsn, replay LSN)
    "portal/singleton.py",  # issue 14: the scheduler's advisory lock
    "portal/bulk.py",  # issue 10: many rows in one INSERT (the outbox's messages, notifications)
    "portal/auth.py",  # issue 10: the session's user with their shop, by primary key
    "portal/rawsql.py",  # issue 10: JoinedRead, select_related reads written once, %s values
    "claims/admin_queue_rows.py",  # issue 10: the queue rows' shops, buyers, refunds by id
    "claims/selectors/figures.py",  # issue 10: payouts by month from the rollup, written once
}


def _raw_sql_allowed(name: str, line: str) -> bool:
    if RAW_SQL_ALLOWED.get(name, "\0") in line:
        return True
    if name in RAW_SQL_ALLOWED or name in RAW_SQL_PARAMETERIZED:
        if "connection.cursor()" in line:
            return True
        return name in RAW_SQL_PARAMETERIZED and re.search(r"\.(execute|copy)\(\w+, ", line)
    return False


def test_app_code_reaches_the_database_through_the_orm_only():
    found = []
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if "/migrations/" in name:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if RAW_SQL.search(line) and not _raw_sql_allowed(name, line):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert found == []
