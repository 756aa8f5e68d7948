"""Layers import downward only (DESIGN.md §2): every module is assigned a layer and may import only its own
layer or lower ones. Imports are read with ``ast``, so lazy imports inside functions count too."""

from __future__ import annotations

import ast
from importlib.util import resolve_name
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("training", "courseware", "question_bank")

# Longest prefix wins.
LAYERS = {
    "training.extensions": 0, "training.config": 0, "training.core": 0, "training.org": 0,
    "courseware": 1,
    "question_bank": 2,
    "training.certification": 3, "training.reports": 3, "training.dashboard": 3,
    "training.app": 4, "training.cli": 4, "training.blueprints": 4, "training.navigation": 4,
    "training": 4, "wsgi": 4,
}


def layer_of(module: str) -> int | None:
    best = None
    for prefix in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best)):
            best = prefix
    return LAYERS[best] if best is not None else None


def project_modules() -> dict[str, Path]:
    modules = {"wsgi": ROOT / "wsgi.py"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_modules(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against the module's own package
                package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                found.add(resolve_name("." * node.level + (node.module or ""), package))
            elif node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in (*PACKAGES, "wsgi")}


MODULES = project_modules()


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer_of(m) is None] == []


def test_training_package_init_is_empty():
    assert (ROOT / "training" / "__init__.py").read_text().strip() == ""


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_flow_downward(module):
    own = layer_of(module)
    upward = sorted(
        target for target in imported_modules(MODULES[module], module)
        if (layer_of(target) or 0) > own
    )
    assert upward == [], f"{module} (L{own}) imports upward: {upward}"


def test_checker_catches_an_upward_import(tmp_path):
    fake = tmp_path / "fake.py"
    fake.write_text("from training.app import create_app\nimport question_bank.models\n")
    targets = imported_modules(fake, "training.org.fake")
    assert {t for t in targets if layer_of(t) > layer_of("training.org.fake")} >= {"training.app",
                                                                                      "question_bank.models"}
