"""The library below explorer/ui/ must never import streamlit (DESIGN.md, 'Layers')."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "explorer"


def test_nothing_outside_ui_imports_streamlit():
    offenders = []
    for path in ROOT.rglob("*.py"):
        if "ui" in path.relative_to(ROOT).parts[:1]:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    assert offenders == [], f"streamlit imported outside explorer/ui/: {offenders}"


def test_checker_would_catch_a_leak(tmp_path):
    # The scan above must actually see imports: parse a snippet the same way.
    tree = ast.parse("import streamlit as st\nfrom streamlit.testing import x\n")
    found = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert len(found) == 2


def test_layouts_and_label_geometry_load_without_plotly():
    # explorer.viz promises that computing positions (and label geometry) never pulls in Plotly,
    # so the CLI and notebooks lay out graphs cheaply; checked in a fresh interpreter.
    import subprocess
    import sys

    code = ("import sys, explorer.viz.layout, explorer.viz.labels, explorer.viz.structured; "
            "print(sorted(m for m in ('plotly', 'streamlit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT.parent, env={"PYTHONPATH": str(ROOT.parent), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"
