"""Small notebook tooling shared by the tests and by people editing notebooks.

    python tools/nbtool.py strip      remove outputs and execution counts (commit clean)
    python tools/nbtool.py setup      write tools/setup_cell.rs into every notebook's
                                      first code cell (the one identical setup cell)
    python tools/nbtool.py nav        write the navigation cell (previous | contents | next)
                                      at the end of every notebook
    python tools/nbtool.py figures NB DIR
                                      run notebook NB in the rust kernel and save each
                                      cell's image as DIR/NB-cellN.svg, to look at them
    python tools/nbtool.py site [--execute] [DIR]
                                      the executed series as a static HTML site in DIR
                                      (default site/), figures included: from the executed
                                      copies the notebook tests keep in reports/executed/,
                                      or, with --execute (what `./lab.sh site` does), running
                                      every notebook first
    python tools/nbtool.py budget [--timings reports/notebook-timings.json]
                                      a learner's time per notebook, modelled on the run
                                      times that `pytest tools/test_notebooks.py` saved

Both rewrite files only when something changes, so running them twice is harmless.

budget's model, anchored on measured run times (not a study of real learners): reading =
prose words (markdown less the nav cell and folded answers) at 150/min + non-blank lines of
non-solution code at 15/min; running = kernel start + those cells' measured seconds (the
harness runs the real kernel cell by cell, so evcxr's compile is in them); one exercise =
the shortest solution's lines (less its comment line) at 3/min + its measured seconds;
"all exercises" does every one. Totals are rounded to 5 minutes.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SETUP_CELL = (Path(__file__).resolve().parent / "setup_cell.rs").read_text().strip()

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
    if is_setup:
        return SETUP_BUDGET_S
    return SLOW_BUDGET_S if TAG_SLOW in tags(cell) else CELL_BUDGET_S


def write_if_changed(path: Path, nb) -> bool:
    new = nbformat.writes(nb) + "\n"
    if path.read_text() != new:
        path.write_text(new)
        return True
    return False


def strip(nb) -> None:
    for cell in code_cells(nb):
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
        if TAG_SOLUTION in tags(cell):
            # JupyterLab folds the source (click the "..." to open it); the cell still runs.
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True


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


def set_setup(nb) -> None:
    cells = code_cells(nb)
    if cells:
        cells[0].source = SETUP_CELL


NAV_MARK = "<!-- navigation: written by tools/nbtool.py nav -->"


def title(nb) -> str:
    """A notebook's title: its first line, without the '# '."""
    return nb.cells[0].source.splitlines()[0].lstrip("# ").strip()


def nav_source(paths: list[Path], i: int) -> str:
    """The navigation cell for notebook `i` of `paths`."""
    parts = []
    if i > 0:
        parts.append(f"← [{title(read(paths[i - 1]))}]({paths[i - 1].name})")
    parts.append("[contents](../README.md#the-series)")
    if i + 1 < len(paths):
        parts.append(f"[{title(read(paths[i + 1]))}]({paths[i + 1].name}) →")
    return NAV_MARK + "\n\n" + " | ".join(parts)


def set_nav(nb, source: str) -> None:
    last = nb.cells[-1]
    if last.cell_type == "markdown" and last.source.startswith(NAV_MARK):
        last.source = source
    else:
        nb.cells.append(nbformat.v4.new_markdown_cell(source))


def save_figures(path: Path, out: Path) -> None:
    from test_notebooks import execute

    nb, _, _ = execute(path)
    out.mkdir(parents=True, exist_ok=True)
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            svg = o.get("data", {}).get("image/svg+xml")
            if svg:
                target = out / f"{path.stem}-cell{i}.svg"
                target.write_text(svg)
                print(f"saved {target}")


EXECUTED = ROOT / "reports" / "executed"


def save_executed(path: Path, nb) -> Path:
    """Keeps an executed copy of a notebook for the static site."""
    EXECUTED.mkdir(parents=True, exist_ok=True)
    target = EXECUTED / path.name
    nbformat.write(nb, target)
    return target


def images(nb) -> int:
    """How many figures an executed notebook shows."""
    return sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/svg+xml" in o.get("data", {}) or "image/png" in o.get("data", {})
    )


def build_site(out: Path, execute_first: bool) -> list[tuple[str, int]]:
    """Writes out/NN-name.html for every notebook and out/index.html; returns (page, figures)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for path in notebook_paths():
        executed = EXECUTED / path.name
        if execute_first or not executed.exists():
            if not execute_first:
                raise SystemExit(f"no executed copy of {path.name}: run `./lab.sh site` (or pytest tools/test_notebooks.py)")
            from test_notebooks import execute

            print(f"running {path.name} in the rust kernel")
            save_executed(path, execute(path)[0])
        nb = nbformat.read(executed, as_version=4)
        html, _ = exporter.from_notebook_node(nb)
        # Links between notebooks and to the contents point at the site's own pages.
        html = re.sub(r'href="(\d\d-[\w-]+)\.ipynb', r'href="\1.html', html)
        html = html.replace('href="../README.md#the-series"', 'href="index.html"')
        (out / f"{path.stem}.html").write_text(html)
        pages.append((path.stem, title(nb), images(nb)))
    items = "\n".join(f'<li><a href="{stem}.html">{t}</a> ({n} figures)</li>' for stem, t, n in pages)
    (out / "index.html").write_text(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Concurrency and parallelism, by running it"
        "</title></head><body style=\"font-family: sans-serif; max-width: 50em; margin: 2em auto\">"
        "<h1>Concurrency and parallelism, by running it</h1><p>Rust notebooks, executed: every figure "
        "below was drawn by the code above it, on the machine each page names. To run them yourself, see "
        "the project's README (<code>./lab.sh start</code>).</p>"
        f"<ol>{items}</ol></body></html>\n"
    )
    return [(stem, n) for stem, _, n in pages]


READ_WPM, READ_LPM, TYPE_LPM = 150, 15, 3  # the budget model's rates (see the docstring)


def lines(source: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip())


def learner_budget(path: Path, timings: dict | None) -> dict:
    """One row of `budget`: what a learner reads, runs and writes in one notebook (minutes)."""
    nb = read(path)
    at, sols = exercises(nb)[0], dict(solutions(nb))
    prose = 0
    for i, c in enumerate(nb.cells):
        if c.cell_type == "markdown" and not c.source.startswith(NAV_MARK):
            text = c.source
            if i == at:  # the folded answers under the exercises are read only if opened
                head, tail = text.split(EXERCISES_HEADING, 1)
                text = head + EXERCISES_HEADING + tail.split("<details>", 1)[0]
            prose += len(re.findall(r"\S*\w\S*", re.sub(r"<[^>]+>", " ", text)))  # not `#`, `-`, `|`
    cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and i not in sols]
    code = sum(lines(nb.cells[i].source) for i in cells)
    row = {"name": path.stem, "words": prose, "code": code, "cells": len(cells)}
    row["read"] = prose / READ_WPM + code / READ_LPM
    m = re.search(r"About (\d+) minutes", next((c.source for c in nb.cells if "## Time budget" in c.source), ""))
    row["now"] = int(m.group(1)) if m else None
    t = (timings or {}).get(path.stem)
    if t is None:
        return row
    secs = {c["index"]: c["seconds"] for c in t["cells"]}
    src = [c.source.strip() if c.cell_type == "code" else "\0" for c in nb.cells]
    row["stale"] = any(c["index"] >= len(src) or not src[c["index"]].startswith(c["first_line"]) for c in t["cells"])
    row["run_s"] = sum(secs.values())
    row["run"] = (t["kernel_ready_s"] + sum(secs.get(i, 0) for i in cells)) / 60
    tries = sorted((lines(nb.cells[i].source) - 1) / TYPE_LPM + secs.get(i, 0) / 60 for i in sols)
    row["one"], row["all"] = (tries[0], sum(tries)) if tries else (0, 0)
    return row


def budget_table(paths: list[Path], timings: dict | None) -> str:
    out = [
        "| notebook | prose words | code lines (cells) | measured run, all cells | reading | running "
        "| one exercise | **model: read, run, one exercise** | model: all exercises | budget now |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    notes = []
    for r in (learner_budget(p, timings) for p in paths):
        now = f"{r['now']} min" if r["now"] else "?"
        head = f"| {r['name']} | {r['words']} | {r['code']} ({r['cells']}) |"
        if "run" not in r:
            out.append(f"{head} no timings | {r['read']:.1f} min | | | | | {now} |")
            notes.append(f"{r['name']}: not in the timings file (run pytest tools/test_notebooks.py)")
            continue
        if r["stale"]:
            notes.append(f"{r['name']}: its cells changed since the timings were taken; re-run the tests")
        one, every = (max(5, 5 * round((r["read"] + r["run"] + x) / 5)) for x in (r["one"], r["all"]))
        out.append(
            f"{head} {r['run_s']:.0f} s | {r['read']:.1f} min | {r['run']:.1f} min | {r['one']:.1f} min "
            f"| **{one} min** | {every} min | {now} |"
        )
    return "\n".join(out + ([""] if notes else []) + [f"note: {n}" for n in notes])


def main(argv: list[str]) -> int:
    if argv[1:2] == ["budget"] and len(argv) in (2, 4) and argv[2:3] in ([], ["--timings"]):
        report = Path(argv[3]) if len(argv) == 4 else ROOT / "reports" / "notebook-timings.json"
        timings = json.loads(report.read_text()) if report.exists() else None
        if timings is None:
            print(f"note: no timings file at {report}: run `pytest tools/test_notebooks.py` first")
        print(budget_table(notebook_paths(), timings))
        return 0
    if argv[1:2] == ["site"]:
        rest = argv[2:]
        execute_first = "--execute" in rest
        dirs = [a for a in rest if a != "--execute"]
        out = Path(dirs[0]) if dirs else ROOT / "site"
        pages = build_site(out.resolve(), execute_first)
        print(f"wrote {len(pages)} pages with {sum(n for _, n in pages)} figures, and index.html, to {out}")
        return 0
    if len(argv) == 4 and argv[1] == "figures":
        save_figures(Path(argv[2]).resolve(), Path(argv[3]))
        return 0
    if len(argv) != 2 or argv[1] not in ("strip", "setup", "nav"):
        print(__doc__)
        return 2
    paths = notebook_paths()
    for i, path in enumerate(paths):
        nb = read(path)
        if argv[1] == "strip":
            strip(nb)
        elif argv[1] == "setup":
            set_setup(nb)
        else:
            set_nav(nb, nav_source(paths, i))
        if write_if_changed(path, nb):
            print(f"rewrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
