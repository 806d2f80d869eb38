"""What the Jinja2 pages are compared with the Django templates by (issue 10)."""

import html
import re


def normal(page: str) -> str:
    """The page as a browser reads it: entities decoded, whitespace between tags dropped,
    the per-request CSRF tokens masked."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", page)
    page = html.unescape(page)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", page)).strip()


SCRIPT = '<script>alert("x")</script>'  # put in a shown field; the page must escape it (R3)


def assert_escaped(body: str) -> None:
    """`SCRIPT` is on the page as text, never as a tag."""
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body
