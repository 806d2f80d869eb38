"""A walk over every admin changelist and change form (issue 11): the headings a person reads
there, pulled out of the HTML, for the zh-hans tests (tests/portal/test_admin_in_chinese.py and
the browser walk)."""

import re
from html.parser import HTMLParser

from django.contrib import admin
from django.urls import reverse

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def latin_only(text: str) -> bool:
    """English words and no Chinese character ("SHOP", "By shop"); numbers and symbols alone
    are not words (a "—" or "¥")."""
    return bool(LATIN.search(text)) and not CJK.search(text)


class Headings(HTMLParser):
    """Column headers of the result table, filter titles and choices, field labels, fieldset
    and inline titles, the action choices."""

    WATCH = {
        "th": lambda a: a.get("scope") == "col" or "column-" in a.get("class", ""),
        "summary": lambda a: True,
        "label": lambda a: True,
        # fieldset and inline titles (the page's own h2 is the object's name)
        "h2": lambda a: "heading" in a.get("class", ""),
        "legend": lambda a: True,
    }

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._stack: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        watch = self.WATCH.get(tag)
        if watch and watch(dict((k, v or "") for k, v in attrs)):
            self._stack.append((tag, []))

    def handle_endtag(self, tag):
        if self._stack and self._stack[-1][0] == tag:
            _tag, parts = self._stack.pop()
            text = " ".join("".join(parts).split())
            if text:
                self.found.append((tag, text))

    def handle_data(self, data):
        if self._stack:
            self._stack[-1][1].append(data)


def headings(html: str) -> list[tuple[str, str]]:
    parser = Headings()
    parser.feed(html)
    return parser.found


def admin_pages(site=admin.site):
    """Every registered model's changelist and the change form of its first object."""
    for model in site._registry:
        opts = model._meta
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            yield reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
