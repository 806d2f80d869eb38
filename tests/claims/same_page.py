"""What the Jinja2 pages are compared with the Django templates by (issue 10)."""

import html
import re


def normal(page: str) -> str:
    """The page as a browser reads it: entities decoded, whitespace between tags dropped,
    the per-request CSRF tokens masked."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", page)
    page = html.unescape(page)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", page)).strip()
