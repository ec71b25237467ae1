"""Imports go one way: the low layers (the environment reader, the backends, the engine) never import
the layers above them (settings, session, dashboard). Read from the source with `ast`, so an import
inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "embedlab"
ABOVE = ("embedlab.settings", "embedlab.session", "embedlab.dashboard", "embedlab.request", "embedlab.cli")
ENGINE = ("comparison.py", "embedding.py", "side_sources.py", "registry.py", "sources.py", "loading.py",
          "access.py")


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def imported(source: str, module: str) -> set[str]:
    """Every module that `source` (the module `module`) imports, as absolute dotted names; a `from X import
    name` counts X.name too, so `from .. import settings` is caught."""
    parts = module.split(".")
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(parts[:len(parts) - node.level] + ([node.module] if node.module else [])) \
                if node.level else node.module
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def upward(source: str, module: str) -> list[str]:
    return sorted(m for m in imported(source, module) if any(m == a or m.startswith(a + ".") for a in ABOVE))


LOW = [*sorted((PACKAGE / "backends").glob("*.py")), PACKAGE / "env.py", *(PACKAGE / name for name in ENGINE)]


@pytest.mark.parametrize("path", LOW, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_low_layers_never_import_upward(path):
    assert upward(path.read_text(encoding="utf-8"), module_of(path)) == []


def test_the_environment_reader_imports_only_errors_of_embedlab():
    path = PACKAGE / "env.py"
    ours = {m for m in imported(path.read_text(encoding="utf-8"), module_of(path)) if m.startswith("embedlab")}
    assert ours == {"embedlab.errors", "embedlab.errors.EmbedLabError"}


def test_the_check_finds_an_upward_import():
    """Relative imports are resolved: a backend that imported settings, even inside a function, is caught."""
    path = PACKAGE / "backends" / "remote.py"
    source = path.read_text(encoding="utf-8") + "\n\ndef later():\n    from ..settings import Settings\n    from .. import session\n"
    assert upward(source, module_of(path)) == ["embedlab.session", "embedlab.settings", "embedlab.settings.Settings"]
