"""Every notebook, checked as committed and then run top to bottom in the real `rust`
kernel (evcxr_jupyter), the way a learner would run it.

evcxr reports a panic as success and prints it to stderr, so a plain
`nbconvert --execute` passes a broken notebook. These tests read every output.
"""
from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import nbtool
from nbtool import TAG_CHART, TAG_PANIC, TAG_RAISES, code_cells, tags

NOTEBOOKS = nbtool.notebook_paths()
IDS = [p.stem for p in NOTEBOOKS]
REPORT = nbtool.ROOT / "reports" / "notebook-timings.json"
IMAGE_TYPES = ("image/svg+xml", "image/png")

# The anatomy every notebook shares (DEVELOPERS.md): checked by heading text.
REQUIRED_SECTIONS = ["Learning goals", "Time budget", "Summary", "Exercises"]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2, "expected notebooks/NN-name.ipynb files"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path: Path):
    nb = nbtool.read(path)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"cells {dirty} have outputs: run `python tools/nbtool.py strip`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_setup_cell_is_the_shared_one(path: Path):
    first = code_cells(nbtool.read(path))[0]
    assert first.source.strip() == nbtool.SETUP_CELL, (
        "the first code cell must be tools/setup_cell.rs exactly: run `python tools/nbtool.py setup`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_anatomy(path: Path):
    nb = nbtool.read(path)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "starts with a title"
    headings = " | ".join(
        line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines() if line.startswith("#")
    )
    missing = [s for s in REQUIRED_SECTIONS if s.lower() not in headings.lower()]
    assert not missing, f"missing sections {missing}; headings: {headings}"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "<details>" in text, "exercises come with solutions, folded in <details>"
    assert "kernelspec" in nb.metadata and nb.metadata.kernelspec.name == "rust"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_exercise_has_a_solution_that_runs(path: Path):
    """Published answers are code the harness executes (twice, like every cell), so none
    can rot: one `solution` cell per exercise, after the exercises, its source folded."""
    nb = nbtool.read(path)
    at, numbers = nbtool.exercises(nb)
    assert at >= 0 and numbers, "no numbered exercises under '## Exercises'"
    cells = nbtool.solutions(nb)
    unlabelled = [i for i, n in cells if n is None]
    assert not unlabelled, f"solution cells {unlabelled} must start with '// Solution to exercise N'"
    missing = sorted(set(numbers) - {n for _, n in cells})
    assert not missing, f"exercises {missing} have no solution cell (tag it '{nbtool.TAG_SOLUTION}')"
    extra = sorted({n for _, n in cells} - set(numbers))
    assert not extra, f"solution cells for exercises {extra}, which do not exist"
    early = [i for i, _ in cells if i < at]
    assert not early, f"solution cells {early} come before the exercises"
    shown = [i for i, _ in cells if not nb.cells[i].metadata.get("jupyter", {}).get("source_hidden")]
    assert not shown, f"solution cells {shown} are not folded: run `python tools/nbtool.py strip`"


def test_links_and_mentions_of_other_notebooks_hold():
    """A link to a notebook must open it; a notebook that does not exist yet is mentioned
    as "notebook NN (coming)", so a learner knows not to look for it."""
    existing = {p.name[:2] for p in NOTEBOOKS}
    texts = {p.name: "\n".join(c.source for c in nbtool.read(p).cells if c.cell_type == "markdown") for p in NOTEBOOKS}
    texts["README.md"] = (nbtool.ROOT / "README.md").read_text()
    found = []
    for name, text in texts.items():
        flat = re.sub(r"\s+", " ", text)
        for target in re.findall(r"\]\((?:notebooks/)?(\d\d-[\w-]+\.ipynb)\)", flat):
            if not (nbtool.NOTEBOOKS / target).exists():
                found.append(f"{name}: link to {target}, which does not exist")
        for m in re.finditer(r"\b[Nn]otebooks? (\d\d)\b(.{0,12})", flat):
            if m.group(1) not in existing and "(coming)" not in m.group(2):
                found.append(f"{name}: mentions notebook {m.group(1)}, which does not exist yet: write '(coming)' after it")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=IDS)
def test_navigation_cell_is_current(index: int):
    """The last cell links to the previous and next notebooks and the contents; it is
    generated, so a check keeps it from drifting when notebooks are added or renamed."""
    nb = nbtool.read(NOTEBOOKS[index])
    assert nb.cells[-1].source == nbtool.nav_source(NOTEBOOKS, index), (
        "navigation is out of date: run `python tools/nbtool.py nav`"
    )


def problems(nb) -> list[str]:
    """What is wrong with an executed notebook, one line per problem."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {i} ({cell.source.strip().splitlines()[0][:50]!r})" if cell.source.strip() else f"cell {i}"
        t = tags(cell)
        errors = [o for o in cell.outputs if o.output_type == "error"]
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        text += "".join(
            o.get("data", {}).get("text/plain", "") for o in cell.outputs if o.output_type in ("display_data", "execute_result")
        )
        if errors and TAG_RAISES not in t:
            e = errors[0]
            detail = (e.get("evalue") or "") + " ".join(e.get("traceback", []))
            detail = re.sub(r"\s+", " ", re.sub(r"\x1b\[[0-9;]*m", "", detail))[:400]
            found.append(f"{where}: failed: {detail}")
        if TAG_RAISES in t and not errors:
            found.append(f"{where}: tagged {TAG_RAISES} but did not fail")
        if "panicked at" in text and TAG_PANIC not in t:
            line = next(l for l in text.splitlines() if "panicked at" in l)
            msg = text.split(line, 1)[1].strip().splitlines()[:1]
            found.append(f"{where}: panicked: {line.strip()} {msg}")
        if TAG_PANIC in t and "panicked at" not in text:
            found.append(f"{where}: tagged {TAG_PANIC} but did not panic")
        if TAG_CHART in t:
            images = [o for o in cell.outputs if any(k in o.get("data", {}) for k in IMAGE_TYPES)]
            if not images:
                shown = re.sub(r"\s+", " ", text)[:200]
                found.append(f"{where}: tagged {TAG_CHART} but showed no image (it showed: {shown!r})")
        if "⚠ lab:" in text and TAG_RAISES not in t and TAG_PANIC not in t:
            found.append(f"{where}: a helper reported an error: {text.split('⚠ lab:', 1)[1].splitlines()[0]}")
    return found


def execute(path: Path, rerun: bool = False):
    """Runs the notebook in the rust kernel; returns it with outputs, and timings.

    With `rerun`, every code cell after the setup cell then runs a second time in the
    same kernel, as a learner re-running cells would; the second run's outputs are
    returned as a separate copy of the notebook (or None without `rerun`)."""
    nb = nbtool.read(path)
    client = NotebookClient(
        nb,
        kernel_name="rust",
        timeout=int(nbtool.SETUP_BUDGET_S),
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    timings = {"notebook": path.stem, "cells": []}
    second = None
    t0 = time.monotonic()
    with client.setup_kernel():
        timings["kernel_ready_s"] = round(time.monotonic() - t0, 2)
        setup = code_cells(nb)[0]
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t = time.monotonic()
            client.execute_cell(cell, index)
            took = time.monotonic() - t
            timings["cells"].append(
                {
                    "index": index,
                    "seconds": round(took, 3),
                    "budget": nbtool.budget(cell, cell is setup),
                    "first_line": cell.source.strip().splitlines()[0][:60] if cell.source.strip() else "",
                }
            )
        timings["total_s"] = round(time.monotonic() - t0, 2)
        if rerun:
            first = copy.deepcopy(nb)
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and cell is not setup:
                    client.execute_cell(cell, index)
            nb, second = first, nb
    return nb, second, timings


def save_timings(timings: dict) -> None:
    REPORT.parent.mkdir(exist_ok=True)
    data = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    data[timings["notebook"]] = timings
    REPORT.write_text(json.dumps(data, indent=1) + "\n")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_in_the_rust_kernel(path: Path):
    """Top to bottom, then every cell once more: learners re-run cells."""
    nb, second, timings = execute(path, rerun=True)
    save_timings(timings)
    nbtool.save_executed(path, nb)  # for the static site (tools/test_site.py builds it)
    slow = [
        f"cell {c['index']} ({c['first_line']!r}) took {c['seconds']:.1f} s, budget {c['budget']:.0f} s"
        for c in timings["cells"]
        if c["seconds"] > c["budget"]
    ]
    found = problems(nb) + slow + [f"on the second run, {p}" for p in problems(second)]
    # The harness runs what learners run: the installed `rust` kernel, through the launcher.
    # The setup cell's `lab::ready()?` says so when a kernel was started any other way.
    setup_out = "".join(o.get("text", "") for o in code_cells(nb)[0].outputs)
    if "from scratch" in setup_out:
        found.append(f"the setup cell says the kernel is not the project's: {setup_out.strip()}")
    cells = ", ".join(f"{c['index']}:{c['seconds']:.1f}s" for c in timings["cells"])
    print(f"\n{path.stem}: kernel ready {timings['kernel_ready_s']} s, total {timings['total_s']} s; cells {cells}")
    assert not found, "\n".join(found)


# The checker itself, on hand-made executed notebooks: a check that cannot fail is no check.
def _executed(source: str, outputs: list, cell_tags: list[str] = ()) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(cell_tags)})
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells = [cell]
    return nb


PANIC = {"output_type": "stream", "name": "stderr", "text": "thread '<unnamed>' panicked at src/lib.rs:1:1:\nboom\n"}
SVG = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"image/svg+xml": "<svg/>", "text/plain": "t"}}
ERROR = {"output_type": "error", "ename": "Error", "evalue": "cannot borrow", "traceback": []}


@pytest.mark.parametrize(
    "outputs, cell_tags, expect",
    [
        ([PANIC], [], "panicked"),
        ([PANIC], [TAG_PANIC], None),
        ([], [TAG_PANIC], "did not panic"),
        ([ERROR], [], "failed"),
        ([ERROR], [TAG_RAISES], None),
        ([], [TAG_RAISES], "did not fail"),
        ([], [TAG_CHART], "showed no image"),
        ([SVG], [TAG_CHART], None),
        ([{"output_type": "stream", "name": "stdout", "text": "⚠ lab: reps must be at least 1\n"}], [], "helper reported"),
    ],
)
def test_the_checker_catches_what_evcxr_lets_through(outputs, cell_tags, expect):
    found = problems(_executed("x", outputs, cell_tags))
    if expect is None:
        assert found == []
    else:
        assert len(found) == 1 and expect in found[0], found
