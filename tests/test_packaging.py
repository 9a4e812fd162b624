"""What a wheel ships: every subpackage and the page's files, so that an installed phraser
(not only `pip install -e`) imports its matchers and serves its page."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
tomllib = pytest.importorskip("tomllib")
SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"
]


def test_every_subpackage_is_declared():
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "phraser").rglob("__init__.py")
    }
    assert found == set(SETUPTOOLS["packages"])


def test_every_static_file_is_package_data():
    globs = SETUPTOOLS["package-data"]["phraser"]
    files = [
        p.relative_to(REPO / "phraser").as_posix() for p in (REPO / "phraser/static").iterdir()
    ]
    assert files
    assert all(any(fnmatch(f, g) for g in globs) for f in files)
