"""Where the run-time files are: templates, static files, seed data, migrations.

In a built wheel they are inside the package (``workshop/templates``, …: see the
force-include table in pyproject.toml). In a checkout (``pip install -e .``) the
package is the source tree's ``workshop/`` and the same folders sit beside it, at
the repository's root, where the project keeps them. Nothing is looked up
relative to the current directory.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(str(files("workshop")))
FOLDERS = ("templates", "static", "seed", "migrations")


def _is_checkout(root: Path) -> bool:
    pyproject = root / "pyproject.toml"
    return pyproject.is_file() and 'name = "workshop"' in pyproject.read_text(encoding="utf-8")


def resource_dir(name: str) -> Path:
    """The folder ``name`` (one of FOLDERS) of this installation."""
    if name not in FOLDERS:
        raise ValueError(f"unknown resource folder {name!r}")
    packaged = PACKAGE_DIR / name
    if packaged.is_dir():
        return packaged
    root = PACKAGE_DIR.parent
    if _is_checkout(root) and (root / name).is_dir():
        return root / name
    raise FileNotFoundError(f"{name}/ is missing from the installation at {PACKAGE_DIR}")


def translations_dir() -> Path:
    return PACKAGE_DIR / "translations"
