"""The product does not import its training code: `rasid_training` is reached only from inside
the `rasid train` command functions, when they run."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "rasid"


def _training_imports(tree: ast.AST) -> list[tuple[int, list[str]]]:
    """Each import of rasid_training (or of the old rasid.story_training) with the names of the
    functions it sits in, outermost first."""
    found = []

    def walk(node: ast.AST, funcs: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            inner = [*funcs, child.name] if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else funcs
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                names = [("." * child.level) + (child.module or "")] + [a.name for a in child.names]
            if any(n.split(".")[0] == "rasid_training" or "story_training" in n for n in names):
                found.append((child.lineno, funcs))
            walk(child, inner)

    walk(tree, [])
    return found


def test_rasid_imports_training_only_inside_train_commands() -> None:
    bad = []
    for f in sorted(SRC.rglob("*.py")):
        for line, funcs in _training_imports(ast.parse(f.read_text(encoding="utf-8"))):
            if not funcs or not funcs[0].startswith("train"):
                bad.append(f"{f.relative_to(SRC.parent)}:{line} (in {'.'.join(funcs) or 'the module'})")
    assert not bad, f"the product imports its training code: {bad}"


def test_importing_the_product_loads_no_training_code() -> None:
    code = ("import sys, rasid, rasid.cli, rasid.api, rasid.stages, rasid.evaluate, rasid.cluster, rasid.stories; "
            "print(sorted(m for m in sys.modules if m.startswith('rasid_training') or m.endswith('story_training')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_product_holds_no_ner_research_code() -> None:
    """The e5 teacher and its torch fine-tuning live in rasid_training: the product's packages hold
    no module of them, and importing the product's understanding loads neither them nor torch."""
    assert not list(SRC.rglob("ner_e5*.py"))
    code = ("import sys, rasid.understand.story, rasid.understand.ner, rasid.stages; "
            "print(sorted(m for m in sys.modules if m == 'torch' or 'ner_e5' in m))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
