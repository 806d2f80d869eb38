"""The documents' links resolve in a clone (issue 13).

Every relative link in README.md, SECURITY.md, docs/*.md and bench/**/*.md names a file or
folder of this repository, and a #fragment names a heading of the file it points at (the
slug GitHub gives it). Links inside code are not links, and http(s)/mailto ones are not ours.
"""

import re
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")
INLINE = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.M)
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.M)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def _documents():
    found = [ROOT / "README.md", ROOT / "SECURITY.md"]
    found += sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "bench").glob("**/*.md"))
    return [path for path in found if path.is_file()]


def _unfenced(path):
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def _prose(path):
    return CODE.sub("", _unfenced(path))


def _links(path):
    text = _prose(path)
    return [m[1] for m in INLINE.finditer(text)] + [m[1] for m in REFERENCE.finditer(text)]


def _slug(heading):
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"[`*_~<>]", "", text).strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", text))


def _anchors(path):
    """GitHub's heading ids: slugs, a repeated one suffixed -1, -2, …"""
    seen, anchors = {}, set()
    for match in HEADING.finditer(_unfenced(path)):
        slug = _slug(match[1])
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _broken(path, link):
    target, _, fragment = unquote(link).partition("#")
    resolved = (path.parent / target).resolve() if target else path
    if not resolved.is_relative_to(ROOT):
        return "points outside the repository"
    if not resolved.exists():
        return "names no file of the repository"
    if fragment and resolved.suffix == ".md" and fragment.lower() not in _anchors(resolved):
        return f"names no heading of {resolved.relative_to(ROOT)}"
    return None


def test_the_documents_are_found():
    names = {path.relative_to(ROOT).as_posix() for path in _documents()}
    assert {"README.md", "SECURITY.md", "docs/rules.md", "bench/README.md"} <= names


def test_every_relative_link_in_the_documents_resolves_in_the_repository():
    broken = []
    for path in _documents():
        for link in _links(path):
            if not link or EXTERNAL.match(link):
                continue
            reason = _broken(path, link)
            if reason:
                broken.append(f"{path.relative_to(ROOT)}: ({link}) {reason}")
    assert not broken, "\n".join(broken)


def test_the_links_are_read_as_a_reader_sees_them():
    # The checker itself: a link in code is no link, a heading's slug is GitHub's.
    assert _slug("Dependencies: how to upgrade") == "dependencies-how-to-upgrade"
    assert _slug("How finance pays the shops (payout batches, R114–R115)") == (
        "how-finance-pays-the-shops-payout-batches-r114r115"
    )
    assert _slug("`bin/test` on **PostgreSQL**") == "bintest-on-postgresql"
    sample = ROOT / "README.md"
    assert _broken(sample, "../shared/SPEC.md") == "points outside the repository"
    assert _broken(sample, "docs/nothing-here.md") == "names no file of the repository"
    assert _broken(sample, "#no-such-heading") == "names no heading of README.md"
    assert _broken(sample, "#architecture") is None
