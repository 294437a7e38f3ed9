"""The service's code keeps the shape the project holds itself to: no function in `app.py` or `chalicelib/` over 60
lines (a longer one holds two ideas), no module over 300."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 300


def service_modules() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]


def long_functions(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno is not None
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_the_service_is_checked_at_all():
    assert len(service_modules()) > 20 and (ROOT / "chalicelib" / "pipeline.py") in service_modules()


def test_no_function_is_over_60_lines():
    assert [found for path in service_modules() for found in long_functions(path)] == []


def test_no_module_is_over_300_lines():
    lengths = {path.relative_to(ROOT): len(path.read_text().splitlines()) for path in service_modules()}
    assert {str(path): lines for path, lines in lengths.items() if lines > MAX_MODULE_LINES} == {}


def test_the_check_finds_a_long_function(tmp_path):
    module = tmp_path / "long.py"
    module.write_text("def long():\n" + "    x = 1\n" * 60 + "\n\ndef short():\n" + "    x = 1\n" * 59)

    assert long_functions(module, tmp_path) == ["long.py:1 long (61 lines)"]
