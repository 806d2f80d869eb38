"""Full-page screenshots of the main merchant pages and the admin claim queue, at 1366 px
and 390 px, in zh-hans and en (issue 11), for people to look at. Run through `bin/screenshots`,
which seeds a throw-away demo database and serves it; by hand, against a running demo:

    .venv/bin/python bin/screenshots.py --url http://127.0.0.1:8000 [--out test-results/screenshots]

Writes <out>/<language>/<width>/<page>.png and prints each path. Also notes, per shot,
whether the page scrolls sideways (it should not).
"""

import argparse
import re
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"]
PASSWORD = "warranty-demo-2026"
WIDTHS = {1366: 900, 390: 844}
LANGUAGES = ("zh-hans", "en")
MERCHANT_PAGES = [
    ("dashboard", "/dashboard/"),
    ("policies", "/policies/"),
    ("policy", "first:/policies/"),
    ("refunds", "/refunds/"),
    ("claim", "first:/refunds/?business=warranty"),
    ("feedback", "/feedback/"),
    ("payouts", "/payouts/"),
    ("invoices", "/invoices/"),
    ("enrollment", "/enrollment/"),
]
EXITED_PAGES = [("dashboard-exited", "/dashboard/"), ("enrollment-exited", "/enrollment/")]
ADMIN_PAGES = [("admin-claim-queue", "/admin/claims/claim/")]
FIRST_LINK = {"/policies/": "a[href^='/policies/']", "/refunds/": "a[href^='/claims/']"}


def sign_in(page: Page, base: str, login: str, path: str) -> None:
    page.goto(f"{base}{path}")
    page.locator("#id_username").fill(login)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()


def resolve(page: Page, base: str, target: str) -> str:
    """`first:/list/` is the first object linked from that list's table."""
    if not target.startswith("first:"):
        return target
    listing = target.removeprefix("first:")
    page.goto(f"{base}{listing}")
    selector = FIRST_LINK[re.sub(r"\?.*", "", listing)]
    href = page.locator(f"table {selector}").first.get_attribute("href")
    return href or listing


def shoot(page: Page, base: str, pages, out: Path, language: str, width: int) -> None:
    for name, target in pages:
        page.goto(f"{base}{resolve(page, base, target)}")
        path = out / language / str(width) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        sideways = page.evaluate(
            "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
        print(f"{path}{'  (scrolls sideways)' if sideways else ''}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="test-results/screenshots")
    args = parser.parse_args()
    base, out = args.url.rstrip("/"), Path(args.out)
    host = re.sub(r"^https?://|[:/].*$", "", base)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for language in LANGUAGES:
            for width, height in WIDTHS.items():
                for login, pages, start in (
                    ("active@demo-shop.cn", MERCHANT_PAGES, "/accounts/login/"),
                    ("exited@demo-shop.cn", EXITED_PAGES, "/accounts/login/"),
                    ("reviewer", ADMIN_PAGES, "/admin/login/"),
                ):
                    context = browser.new_context(viewport={"width": width, "height": height})
                    context.add_cookies(
                        [
                            {
                                "name": "django_language",
                                "value": language,
                                "domain": host,
                                "path": "/",
                            }
                        ]
                    )
                    page = context.new_page()
                    sign_in(page, base, login, start)
                    shoot(page, base, pages, out, language, width)
                    context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
