"""Shared pytest configuration for the whole test suite.

Kept deliberately small: fixtures that only one area needs live in that area's
own ``conftest.py`` (``tests/browser/``, ``tests/notebooks/``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: The repository checkout the tests run against.
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The root of the repository checkout (where ``pyproject.toml`` lives)."""
    return REPO_ROOT
