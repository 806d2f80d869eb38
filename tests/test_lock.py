"""requirements.lock and pyproject.toml cannot drift apart (issue 13).

bin/setup installs exactly requirements.lock; bin/lock compiles it from pyproject.toml's ranges.
Someone who edits one and forgets the other is told here, with the command that fixes it.
"""

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
FIX = "run bin/lock (see README, 'Dependencies: how to upgrade') and commit requirements.lock"


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _declared():
    """Every requirement pyproject.toml makes: runtime, each extra and the build backend."""
    project = _pyproject()["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    lines += _pyproject()["build-system"]["requires"]
    return [Requirement(line) for line in lines]


def _entries():
    """The lock's requirements, each as (name, version, its lines joined)."""
    entries, current = [], None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        pin = PIN.match(line)
        if pin:
            current = [canonicalize_name(pin[1]), pin[2], line]
            entries.append(current)
        elif current and line.startswith("    --hash="):
            current[2] += line
    return entries


def _locked():
    return {name: version for name, version, _ in _entries()}


def test_every_requirement_of_pyproject_is_locked_at_a_version_its_range_admits():
    locked = _locked()
    wrong = []
    for requirement in _declared():
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            wrong.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            wrong.append(f"{requirement} but the lock pins {version}")
    assert not wrong, f"{'; '.join(wrong)}: {FIX}"


def test_the_extras_asked_for_are_locked_too():
    # psycopg[binary] needs psycopg-binary, which only psycopg's metadata names.
    locked = _locked()
    missing = []
    for requirement in _declared():
        for extra in requirement.extras:
            for needed in map(Requirement, metadata.requires(requirement.name) or []):
                wanted = needed.marker and needed.marker.evaluate({"extra": extra})
                if wanted and canonicalize_name(needed.name) not in locked:
                    missing.append(f"{needed.name} (for {requirement.name}[{extra}])")
    assert not missing, f"{', '.join(missing)} not in the lock: {FIX}"


def test_every_pin_of_the_lock_is_exact_and_carries_its_hashes():
    entries = _entries()
    assert len(entries) > 20, "requirements.lock lists almost nothing"
    unhashed = [f"{name}=={version}" for name, version, text in entries if "sha256:" not in text]
    assert not unhashed, f"{', '.join(unhashed)} carry no hash: {FIX}"
    # pip and the build backend are locked so bin/setup fetches nothing unpinned.
    assert {"pip", "setuptools"} <= _locked().keys(), FIX


def test_the_installed_environment_is_the_lock():
    # bin/setup reinstalls when pyproject.toml or requirements.lock changes; a venv set up
    # by hand, or before the lock moved, is named here.
    stale = []
    for name, version in _locked().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "nothing"
        if installed != version:
            stale.append(f"{name} {installed} (lock: {version})")
    assert not stale, f"installed {', '.join(stale)}: run bin/setup"
