"""Every notebook, checked as committed and then run top to bottom in the real `rust`
kernel (evcxr_jupyter), the way a learner would run it (tools/execute.py).

evcxr reports a panic as success and prints it to stderr, so a plain
`nbconvert --execute` passes a broken notebook. These tests read every output.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tools import nbtool, series
from tools.evcxr import panic_in
from tools.execute import execute, save_executed, save_timings
from tools.series import TAG_CHART, TAG_PANIC, TAG_RAISES, code_cells, tags

NOTEBOOKS = series.notebook_paths()
IDS = [p.stem for p in NOTEBOOKS]
IMAGE_TYPES = ("image/svg+xml", "image/png")

# The anatomy every notebook shares (README, "The series"): checked by heading text.
REQUIRED_SECTIONS = ["Learning goals", "Time budget", "Summary", "Exercises"]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2, "expected notebooks/NN-name.ipynb files"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path: Path):
    nb = series.read(path)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"cells {dirty} have outputs: run `python -m tools.nbtool strip`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_setup_cell_is_the_shared_one(path: Path):
    first = code_cells(series.read(path))[0]
    assert first.source.strip() == series.SETUP_CELL, (
        "the first code cell must be tools/setup_cell.rs exactly: run `python -m tools.nbtool setup`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_anatomy(path: Path):
    nb = series.read(path)
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
    nb = series.read(path)
    at, numbers = series.exercises(nb)
    assert at >= 0 and numbers, "no numbered exercises under '## Exercises'"
    cells = series.solutions(nb)
    unlabelled = [i for i, n in cells if n is None]
    assert not unlabelled, f"solution cells {unlabelled} must start with '// Solution to exercise N'"
    missing = sorted(set(numbers) - {n for _, n in cells})
    assert not missing, f"exercises {missing} have no solution cell (tag it '{series.TAG_SOLUTION}')"
    extra = sorted({n for _, n in cells} - set(numbers))
    assert not extra, f"solution cells for exercises {extra}, which do not exist"
    early = [i for i, _ in cells if i < at]
    assert not early, f"solution cells {early} come before the exercises"
    shown = [i for i, _ in cells if not nb.cells[i].metadata.get("jupyter", {}).get("source_hidden")]
    assert not shown, f"solution cells {shown} are not folded: run `python -m tools.nbtool strip`"


def test_links_and_mentions_of_other_notebooks_hold():
    """A link to a notebook must open it; a notebook that does not exist yet is mentioned
    as "notebook NN (coming)", so a learner knows not to look for it."""
    existing = {p.name[:2] for p in NOTEBOOKS}
    texts = {p.name: "\n".join(c.source for c in series.read(p).cells if c.cell_type == "markdown") for p in NOTEBOOKS}
    texts["README.md"] = (series.ROOT / "README.md").read_text()
    found = []
    for name, text in texts.items():
        flat = re.sub(r"\s+", " ", text)
        for target in re.findall(r"\]\((?:notebooks/)?(\d\d-[\w-]+\.ipynb)\)", flat):
            if not (series.NOTEBOOKS / target).exists():
                found.append(f"{name}: link to {target}, which does not exist")
        for m in re.finditer(r"\b[Nn]otebooks? (\d\d)\b(.{0,12})", flat):
            if m.group(1) not in existing and "(coming)" not in m.group(2):
                found.append(f"{name}: mentions notebook {m.group(1)}, which does not exist yet: write '(coming)' after it")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=IDS)
def test_navigation_cell_is_current(index: int):
    """The last cell links to the previous and next notebooks and the contents; it is
    generated, so a check keeps it from drifting when notebooks are added or renamed."""
    nb = series.read(NOTEBOOKS[index])
    assert nb.cells[-1].source == nbtool.nav_source(NOTEBOOKS, index), (
        "navigation is out of date: run `python -m tools.nbtool nav`"
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
        panic = panic_in(text)
        if panic and TAG_PANIC not in t:
            found.append(f"{where}: panicked: {panic}")
        if TAG_PANIC in t and not panic:
            found.append(f"{where}: tagged {TAG_PANIC} but did not panic")
        if TAG_CHART in t:
            # A chart inside lab's Folded (an answer kept closed) is an SVG image in text/html.
            images = [o for o in cell.outputs if any(k in o.get("data", {}) for k in IMAGE_TYPES)
                      or "data:image/svg+xml" in "".join(o.get("data", {}).get("text/html", ""))]
            if not images:
                shown = re.sub(r"\s+", " ", text)[:200]
                found.append(f"{where}: tagged {TAG_CHART} but showed no image (it showed: {shown!r})")
        if "⚠ lab:" in text and TAG_RAISES not in t and TAG_PANIC not in t:
            found.append(f"{where}: a helper reported an error: {text.split('⚠ lab:', 1)[1].splitlines()[0]}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_in_the_rust_kernel(path: Path):
    """Top to bottom, then every cell once more: learners re-run cells."""
    nb, second, timings = execute(path, rerun=True)
    save_timings(timings)
    save_executed(path, nb)  # for the static site (tools/test_site.py builds it)
    slow = [
        f"cell {c['index']} ({c['first_line']!r}) took {c['seconds']:.1f} s, budget {c['budget']:.0f} s"
        for c in timings["cells"]
        if c["seconds"] > c["budget"]
    ]
    found = problems(nb) + slow
    if "stopped" in timings:  # a cell ran into its limit: the cells after it never ran
        found.append(timings["stopped"])
    if second is not None:
        found += [f"on the second run, {p}" for p in problems(second)]
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
FOLDED_SVG = {"output_type": "display_data", "metadata": {},
              "data": {"text/plain": "answer", "text/html": "<details><summary>answer</summary><div><img src=\"data:image/svg+xml;base64,PHN2Zy8+\"></div></details>"}}
FOLDED_TABLE = {"output_type": "display_data", "metadata": {},
                "data": {"text/plain": "answer", "text/html": "<details><summary>answer</summary><table></table></details>"}}


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
        ([FOLDED_SVG], [TAG_CHART], None),
        ([FOLDED_TABLE], [TAG_CHART], "showed no image"),
        ([{"output_type": "stream", "name": "stdout", "text": "⚠ lab: reps must be at least 1\n"}], [], "helper reported"),
    ],
)
def test_the_checker_catches_what_evcxr_lets_through(outputs, cell_tags, expect):
    found = problems(_executed("x", outputs, cell_tags))
    if expect is None:
        assert found == []
    else:
        assert len(found) == 1 and expect in found[0], found


def test_a_cell_past_its_limit_stops_the_run(tmp_path, monkeypatch):
    """nbclient's per-cell timeout: a cell still running at its limit stops the run there,
    in one line, instead of the harness waiting for the setup cell's ten minutes."""
    import tools.execute

    monkeypatch.setattr(tools.execute, "LIMIT_FACTOR", 0.2)  # a 10 s budget: stopped after 2 s
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "rust", "display_name": "Rust"}})
    nb.cells = [nbformat.v4.new_code_cell("let x = 1;"),
                nbformat.v4.new_code_cell("std::thread::sleep(std::time::Duration::from_secs(20));"),
                nbformat.v4.new_code_cell("x")]
    path = tmp_path / "99-stuck.ipynb"
    nbformat.write(nb, path)
    ran, second, timings = execute(path, rerun=True)
    assert second is None
    assert "cell 1 ('std::thread::sleep" in timings["stopped"] and "still running after 2 s" in timings["stopped"]
    assert [c["index"] for c in timings["cells"]] == [0]
    assert ran.cells[2].outputs == []
