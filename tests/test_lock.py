"""The lock files agree with pyproject.toml, so CI and the image install what the project asks for.

A dependency added or narrowed in pyproject.toml without running ``bash .ci/lock`` would make CI
and the image silently install something else (or fail on a missing hash); this says which.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.harness import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def pins(lock: str) -> dict[str, list[tuple[Version, str]]]:
    """Package → every pinned version with its marker (a universal lock may pin two)."""
    found: dict[str, list[tuple[Version, str]]] = {}
    for line in (ROOT / lock).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            name, version, marker = match.groups()
            found.setdefault(canonicalize_name(name), []).append((Version(version), marker or ""))
    return found


def wanted(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    if extra is not None:
        requirements += project["optional-dependencies"][extra]
    return [Requirement(r) for r in requirements]


@pytest.mark.parametrize(
    ("lock", "extra"), [("requirements.lock", None), ("requirements-dev.lock", "test")]
)
def test_every_dependency_is_locked_within_its_range_with_hashes(
    lock: str, extra: str | None
) -> None:
    locked = pins(lock)
    for requirement in wanted(extra):
        versions = locked.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in {lock}: run bash .ci/lock"
        for version, _ in versions:
            assert version in requirement.specifier, (
                f"{lock} pins {requirement.name}=={version}, outside {requirement.specifier}: "
                "run bash .ci/lock"
            )
    text = (ROOT / lock).read_text(encoding="utf-8")
    assert text.count("==") <= text.count("--hash=sha256:")


def test_the_runtime_lock_holds_no_test_tools() -> None:
    runtime = pins("requirements.lock")
    for tool in ("pytest", "mypy", "ruff", "hypothesis"):
        assert tool not in runtime
