"""The notebooks of the series, as the tools read them: where they are, the shared setup
cell, the cell tags the tests understand, each cell's time budget, and where the exercises
and their solutions are. No kernel, no writing: `execute` runs notebooks, `nbtool` edits them.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SETUP_CELL = (ROOT / "tools" / "setup_cell.rs").read_text().strip()

# Cell tags the tests understand.
TAG_RAISES = "raises-exception"  # the cell must fail (e.g. it shows a compiler error)
TAG_PANIC = "expect-panic"  # a panic message in this cell's output is the lesson
TAG_CHART = "chart"  # the cell must display an image
TAG_SLOW = "slow"  # the cell may take up to SLOW_BUDGET_S instead of CELL_BUDGET_S
TAG_SOLUTION = "solution"  # an exercise's solution: executed like any cell, source folded

CELL_BUDGET_S = 10.0  # once the cache is warm; cells take 0.2-4 s on 2 cores
SLOW_BUDGET_S = 60.0
SETUP_BUDGET_S = 600.0  # the first cell compiles the helpers and, cold, their deps


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def budget(cell, is_setup: bool) -> float:
    """How long the cell may take (seconds) before the notebook tests call it slow."""
    if is_setup:
        return SETUP_BUDGET_S
    return SLOW_BUDGET_S if TAG_SLOW in tags(cell) else CELL_BUDGET_S


def title(nb) -> str:
    """A notebook's title: its first line, without the '# '."""
    return nb.cells[0].source.splitlines()[0].lstrip("# ").strip()


EXERCISES_HEADING = "## Exercises"
SOLUTION_LINE = re.compile(r"^// Solution to exercise (\d+)\b")


def exercises(nb) -> tuple[int, list[int]]:
    """(index of the cell holding the Exercises heading, the exercise numbers it lists).

    Exercises are the numbered items (`1. ...`) after the heading, up to the `<details>`
    that explains the solutions."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and EXERCISES_HEADING in cell.source:
            text = cell.source.split(EXERCISES_HEADING, 1)[1].split("<details>", 1)[0]
            return i, [int(m) for m in re.findall(r"^(\d+)\. ", text, flags=re.M)]
    return -1, []


def solutions(nb) -> list[tuple[int, int | None]]:
    """(cell index, exercise number from its first line) for every `solution` cell."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and TAG_SOLUTION in tags(cell):
            m = SOLUTION_LINE.match(cell.source.strip())
            found.append((i, int(m.group(1)) if m else None))
    return found
