"""Every unit of work the application layer opens runs under the one retry policy (application/retry.py):
a unit whose connection was lost before its COMMIT, or that lost a race, runs again instead of
answering 503 or 409 at once. Read from the source: each ``self._uow()`` is opened in a function
decorated with ``rerun_on_concurrent_change`` that opens no other unit (so that running it again runs
exactly one unit again)."""

from __future__ import annotations

import ast
from pathlib import Path

import hospital.application

POLICY = "rerun_on_concurrent_change"
APPLICATION = Path(hospital.application.__file__).parent


def _opens_a_unit(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_uow"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "self")


def _units_by_function(tree: ast.AST) -> dict[ast.AsyncFunctionDef | ast.FunctionDef, int]:
    """How many units each function opens itself (not in the functions defined inside it)."""
    counts: dict[ast.AsyncFunctionDef | ast.FunctionDef, int] = {}

    def visit(node: ast.AST, function: ast.AsyncFunctionDef | ast.FunctionDef | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.AsyncFunctionDef | ast.FunctionDef):
                visit(child, child)
                continue
            if _opens_a_unit(child):
                assert function is not None
                counts[function] = counts.get(function, 0) + 1
            visit(child, function)

    visit(tree, None)
    return counts


def _decorated(function: ast.AsyncFunctionDef | ast.FunctionDef) -> bool:
    return any(isinstance(decorator, ast.Name) and decorator.id == POLICY for decorator in function.decorator_list)


def test_every_unit_of_work_runs_under_the_retry_policy() -> None:
    outside, several = [], []
    for path in sorted(APPLICATION.rglob("*.py")):
        for function, count in _units_by_function(ast.parse(path.read_text())).items():
            where = f"{path.relative_to(APPLICATION)}:{function.lineno} {function.name}"
            if not _decorated(function):
                outside.append(where)
            elif count > 1:
                several.append(where)
    assert outside == [], "units of work opened outside the retry policy"
    assert several == [], "a function under the retry policy opens more than one unit"
