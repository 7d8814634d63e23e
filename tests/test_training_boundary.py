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
            inner = (
                [*funcs, child.name] if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else funcs
            )
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                names = [("." * child.level) + (child.module or "")] + [a.name for a in child.names]
            if isinstance(child, ast.Import | ast.ImportFrom) and any(
                n.split(".")[0] == "rasid_training" or "story_training" in n for n in names
            ):
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
    code = (
        "import sys, rasid, rasid.cli, rasid.api, rasid.stages, rasid.evaluate, rasid.cluster, rasid.stories; "
        "print(sorted(m for m in sys.modules if m.startswith('rasid_training') or m.endswith('story_training')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_product_holds_no_ner_research_code() -> None:
    """The e5 teacher and its torch fine-tuning live in rasid_training: the product's packages hold
    no module of them, and importing the product's understanding loads neither them nor torch."""
    assert not list(SRC.rglob("ner_e5*.py"))
    code = (
        "import sys, rasid.understand.story, rasid.understand.ner, rasid.stages; "
        "print(sorted(m for m in sys.modules if m == 'torch' or 'ner_e5' in m))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_ner_package_holds_inference_only() -> None:
    """`rasid.understand.ner` is what the product runs: none of the training code (train_ner,
    build_resources, the silver-label helpers, the clusters, the BiLSTM) is reachable from it,
    no module of it is over 500 lines, and importing it (with the product) loads no training code."""
    import importlib
    import pkgutil

    import rasid.understand.ner as ner

    training = (
        "train_ner",
        "train_crf",
        "build_resources",
        "read_gazetteers",
        "silver_source_sentences",
        "save_silver",
        "load_silver",
        "packaged_silver",
        "build_clusters",
        "train_neural",
        "NeuralTagger",
        "crf_marginals",
        "neural_decode",
    )
    modules = [ner] + [
        importlib.import_module(f"{ner.__name__}.{m.name}") for m in pkgutil.iter_modules(ner.__path__)
    ]
    assert len(modules) >= 5
    found = [f"{mod.__name__}.{name}" for mod in modules for name in training if hasattr(mod, name)]
    assert not found, f"training code in the product's NER package: {found}"
    for mod in modules:
        assert mod.__file__ is not None
        lines = Path(mod.__file__).read_text(encoding="utf-8").count("\n")
        assert lines <= 500, (mod.__name__, lines)
    assert not [p for p in SRC.rglob("ner_*.py") if p.name not in ("ner_tokenize.py",)], (
        "NER modules outside ner/"
    )
    code = (
        "import sys, rasid.understand.ner, rasid.understand.ner.model, rasid.understand.ner.crf, rasid.eval.ner, "
        "rasid.evaluate; rasid.understand.ner.NerModel.load().mentions('قال الرئيس فلاديمير بوتين في موسكو'); "
        "print(sorted(m for m in sys.modules if m.startswith('rasid_training') or m in ('torch', 'sklearn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_rasid_train_ner_still_reaches_the_training_code() -> None:
    """The `rasid train ner` command imports `rasid_training.ner` inside its function, and that
    module exposes what the command calls."""
    from rasid_training import ner as training_ner

    assert callable(training_ner.train_ner) and callable(training_ner.build_resources)
    evaluate = (SRC / "evaluate.py").read_text(encoding="utf-8")
    assert "from rasid_training.ner import train_ner" in evaluate
