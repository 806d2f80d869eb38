"""Every static file a template names exists: with the manifest storage of production a
missing one is a 500 on the page that names it (the admin claim queue named
portal/admin_queue.css, which never existed)."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parents[2]
STATIC_TAG = re.compile(r"""\{%\s*static\s+["']([^"']+)["']|static\(\s*["']([^"']+)["']\s*\)""")


def static_references():
    for folder in ("templates", "jinja2"):
        for path in sorted((ROOT / folder).rglob("*.html")):
            for match in STATIC_TAG.finditer(path.read_text()):
                yield path.relative_to(ROOT), match.group(1) or match.group(2)


def test_templates_name_static_files_at_all():
    assert len(list(static_references())) > 3


def test_every_static_file_a_template_names_exists():
    missing = [f"{path}: {name}" for path, name in static_references() if not finders.find(name)]
    assert not missing, missing
