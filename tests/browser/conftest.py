"""End-to-end tests in a real Chromium (Playwright, sync API) against pytest-django's live_server.

- The browser is Debian's Chromium at /usr/bin/chromium (no Playwright browser download works
  here, see docs/stack.md "Browsers in tests"); without it the tests are skipped, visibly.
- Every test in this folder is marked `browser` (deselect with `-m "not browser"`).
- live_server needs a transactional database, which pytest-django empties (flush) after each
  such test; the `migration_data` fixture puts back what `migrate` had left there (content
  types, permissions, staff groups, industry pricing).
- On a failure, a full-page screenshot of every page the test opened is saved under
  `test-results/<test>/` and the paths are listed in the failure report.
"""

import hashlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # needed when running as root (containers, CI)
    "--disable-dev-shm-usage",  # small /dev/shm in containers crashes the renderer otherwise
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ACTION_TIMEOUT_MS = 10_000  # clicks, fills, navigations
EXPECT_TIMEOUT_MS = 5_000  # every expect(...) assertion

HERE = Path(__file__).resolve().parent
_CONTEXTS = pytest.StashKey[list[BrowserContext]]()

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.hookimpl(trylast=True)  # after pytest-django's reordering of the items
def pytest_collection_modifyitems(config, items):
    """Mark this folder's tests `browser` (skipped without Chromium) and run them last.

    Last, because once Playwright has started, DJANGO_ALLOW_ASYNC_UNSAFE is set in this
    process (see the `playwright` fixture): no other test should run with it, e.g. the
    `manage.py check --deploy` subprocess of tests/portal/test_settings.py inherits it and
    fails with async.E001.
    """
    chromium_missing = not os.access(CHROMIUM, os.X_OK)
    browser_items = []
    for item in items:
        if not Path(str(item.path)).resolve().is_relative_to(HERE):
            continue
        browser_items.append(item)
        item.add_marker(pytest.mark.browser)
        if chromium_missing:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"browser test skipped: Chromium is missing ({CHROMIUM} not found). "
                    "bin/test installs Debian's chromium when run as root "
                    "(or: apt-get install chromium)."
                )
            )
    if browser_items:
        in_folder = set(map(id, browser_items))
        items[:] = [item for item in items if id(item) not in in_folder] + browser_items


@pytest.fixture(scope="session")
def playwright(playwright):
    """pytest-playwright's Playwright, plus DJANGO_ALLOW_ASYNC_UNSAFE for the rest of the run.

    The sync API leaves its asyncio loop marked as running in this thread until the session
    ends, so Django would refuse ORM calls from the tests, the live server's shared SQLite
    connection and the test database teardown ("SynchronousOnlyOperation") without it.
    Set here rather than at import, so the tests that run before the browser tests do not
    inherit it; never unset, since the loop stays marked until the very end.
    """
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return playwright


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at Debian's Chromium."""
    if not os.access(CHROMIUM, os.X_OK):  # belt and braces: the collection hook skips first
        pytest.skip(f"Chromium is missing ({CHROMIUM}); bin/test installs it when run as root.")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    """Relative URLs in page.goto() go to the live server (replaces pytest-playwright's
    --base-url fallback fixture, which pytest 9 flags as deprecated)."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A merchant's browser in China: Accept-Language zh-CN (Django picks zh-hans)."""
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def uma(migration_data, uma):
    """tests/conftest.py's underwriter, once the staff groups exist again."""
    return uma


@pytest.fixture
def rita(migration_data, rita):
    """tests/conftest.py's claim reviewer, once the staff groups exist again."""
    return rita


@pytest.fixture
def new_page(new_context, request):
    """Factory: a page in a fresh browser context (its own cookies, i.e. its own user).

    Contexts are closed by pytest-playwright's `new_context` after the test; the pages stay
    open until then, so a failing test's pages can be photographed (see the hook below).
    """
    contexts = request.node.stash.setdefault(_CONTEXTS, [])

    def _new_page() -> Page:
        context = new_context()
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    return _new_page


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """On a failing test call, save a full-page screenshot of each open page."""
    report = yield
    contexts = item.stash.get(_CONTEXTS, None)
    if report.when == "call" and report.failed and contexts:
        folder = item.config.rootpath / "test-results" / _folder_name(item)
        lines = []
        for c, context in enumerate(contexts, start=1):
            for p, page in enumerate(context.pages, start=1):
                path = folder / f"context{c}-page{p}.png"
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(path), full_page=True, timeout=EXPECT_TIMEOUT_MS)
                    lines.append(f"{path}  ({page.url})")
                except Exception as error:  # a crashed page must not hide the real failure
                    lines.append(f"{path}: no screenshot ({type(error).__name__}: {error})")
        if lines:
            report.sections.append(("browser screenshots", "\n".join(lines)))
    return report


def _folder_name(item) -> str:
    """test-results/<module>-<test>[<params>], kept within file-name limits."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{item.path.stem}-{item.name}").strip("-")
    if len(name) > 200:
        name = f"{name[:191]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return name
