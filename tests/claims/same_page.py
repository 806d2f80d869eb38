"""What the Jinja2 pages are compared with the Django templates by (issue 10)."""

import html
import re

from django.template.loader import render_to_string


def normal(page: str) -> str:
    """The page as a browser reads it: entities decoded, whitespace between tags dropped,
    the per-request CSRF tokens masked."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", page)
    page = html.unescape(page)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", page)).strip()


def django_templates_page(response, template: str, keys, **replace) -> str:
    """`template` rendered as a Django template with the context the view gave its Jinja2
    page (the `keys` of it, `replace` overriding some), for the request the view answered."""
    context = {key: response.context[key] for key in keys} | replace
    return render_to_string(template, context, request=response.wsgi_request, using="django")


SCRIPT = '<script>alert("x")</script>'  # put in a shown field; the page must escape it (R3)


def assert_escaped(body: str) -> None:
    """`SCRIPT` is on the page as text, never as a tag."""
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body
