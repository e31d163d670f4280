"""Notebook tooling for people editing the series (run from the repository's root):

    python -m tools.nbtool strip      remove outputs and execution counts (commit clean)
    python -m tools.nbtool setup      write tools/setup_cell.rs into every notebook's
                                      first code cell (the one identical setup cell)
    python -m tools.nbtool nav        write the navigation cell (previous | contents | next)
                                      at the end of every notebook
    python -m tools.nbtool figures NB DIR
                                      run notebook NB in the rust kernel and save each
                                      cell's image as DIR/NB-cellN.svg, to look at them
    python -m tools.nbtool site [--execute] [DIR]
                                      the executed series as a static HTML site in DIR
                                      (default site/), figures included: from the executed
                                      copies the notebook tests keep in reports/executed/,
                                      or, with --execute (what `./lab.sh site` does), running
                                      every notebook first
    python -m tools.nbtool budget [--timings reports/notebook-timings.json]
                                      a learner's time per notebook, modelled on the run
                                      times that `pytest tools/test_notebooks.py` saved

strip, setup and nav rewrite a notebook only when something changes, so running them twice
is harmless.

budget's model, anchored on measured run times (not a study of real learners): reading =
prose words (markdown less the nav cell and folded answers) at 150/min + non-blank lines of
non-solution code at 15/min; running = kernel start + those cells' measured seconds (the
harness runs the real kernel cell by cell, so evcxr's compile is in them); an exercise =
all of its solution cells' lines (less each one's comment line) at 3/min, twice over
(writing it, then making it compile and pass: a guess, not a measurement), + 3 runs of
those cells at their measured seconds. "One exercise" is exercise 1, the one a day plan
gives every learner; "all exercises" does every one. Totals are rounded to 5 minutes.
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from pathlib import Path

import nbformat

from tools.execute import EXECUTED, TIMINGS, execute, save_executed
from tools.series import (
    EXERCISES_HEADING, ROOT, SETUP_CELL, TAG_SOLUTION, code_cells, exercises, notebook_paths, read, solutions, tags,
    title,
)


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


def set_setup(nb) -> None:
    cells = code_cells(nb)
    if cells:
        cells[0].source = SETUP_CELL


NAV_MARK = "<!-- navigation: written by tools/nbtool.py nav -->"


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
    nb, _, timings = execute(path)
    if "stopped" in timings:
        print(f"note: {timings['stopped']}")
    out.mkdir(parents=True, exist_ok=True)
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            svg = o.get("data", {}).get("image/svg+xml")
            if svg:
                target = out / f"{path.stem}-cell{i}.svg"
                target.write_text(svg)
                print(f"saved {target}")


def images(nb) -> int:
    """How many figures an executed notebook shows."""
    return sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/svg+xml" in o.get("data", {}) or "image/png" in o.get("data", {})
    )


SVG_IMG = re.compile(r'<img\b([^>]*?)\bsrc="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"([^>]*)>')
ALT = re.compile(r'\s*\balt="[^"]*"')


def alt_texts(html: str) -> str:
    """nbconvert embeds each SVG figure as an <img> with no useful alt text ("No description
    has been provided for this image"); each gets the one-line description the figure
    carries (its root's aria-label), for screen readers and for a page whose images do
    not load."""
    def add(m: re.Match) -> str:
        svg = base64.b64decode(m.group(2)).decode("utf-8", "replace")
        label = re.search(r'<svg\b[^>]*\baria-label="([^"]*)"', svg)
        if label is None:
            return m.group(0)
        before, after = ALT.sub("", m.group(1)), ALT.sub("", m.group(3))
        return f'<img{before} alt="{label.group(1)}" src="data:image/svg+xml;base64,{m.group(2)}"{after}>'
    return SVG_IMG.sub(add, html)


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
            print(f"running {path.name} in the rust kernel")
            nb, _, timings = execute(path)
            if "stopped" in timings:
                print(f"note: {timings['stopped']}")
            save_executed(path, nb)
        nb = nbformat.read(executed, as_version=4)
        html, _ = exporter.from_notebook_node(nb)
        html = alt_texts(html)
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
FIX_FACTOR, TRIES = 2, 3  # an exercise: typed, then as long again to make it work; run 3 times


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
    row["exercises"] = exercise_minutes(nb, sols, secs)
    row["one"] = row["exercises"].get(1, 0.0)
    row["all"] = sum(row["exercises"].values())
    return row


def exercise_minutes(nb, sols: dict, secs: dict) -> dict:
    """Minutes per exercise number: every solution cell of that exercise written, made to
    work and run (see the module docstring). A solution cell without a number counts as 0."""
    per: dict = {}
    for i, number in sols.items():
        write = (lines(nb.cells[i].source) - 1) / TYPE_LPM * FIX_FACTOR
        per[number or 0] = per.get(number or 0, 0.0) + write + TRIES * secs.get(i, 0) / 60
    return per


def budget_table(paths: list[Path], timings: dict | None) -> str:
    out = [
        "| notebook | prose words | code lines (cells) | measured run, all cells | reading | running "
        "| exercise 1 | **model: read, run, exercise 1** | model: all exercises | budget now |",
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


def rewrite_every_notebook(change) -> None:
    """strip, setup, nav: `change(nb, index, paths)` on every notebook, saved if it changed."""
    paths = notebook_paths()
    for i, path in enumerate(paths):
        nb = read(path)
        change(nb, i, paths)
        if write_if_changed(path, nb):
            print(f"rewrote {path.relative_to(ROOT)}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tools.nbtool", description=__doc__.split("\n\n")[0],
                                epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("strip", help="remove outputs and execution counts (commit clean)")
    sub.add_parser("setup", help="write tools/setup_cell.rs into every notebook's first code cell")
    sub.add_parser("nav", help="write the navigation cell at the end of every notebook")
    fig = sub.add_parser("figures", help="run a notebook and save each cell's image as DIR/NB-cellN.svg")
    fig.add_argument("notebook", metavar="NB", type=Path)
    fig.add_argument("dir", metavar="DIR", type=Path)
    site = sub.add_parser("site", help="the executed series as a static HTML site")
    site.add_argument("--execute", action="store_true", help="run every notebook first (what ./lab.sh site does)")
    site.add_argument("dir", metavar="DIR", type=Path, nargs="?", default=ROOT / "site",
                      help="where the pages go (default site/)")
    budget = sub.add_parser("budget", help="a learner's time per notebook, from measured run times")
    budget.add_argument("--timings", type=Path, default=TIMINGS,
                        help="the timings the notebook tests saved (default reports/notebook-timings.json)")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.command == "budget":
        timings = json.loads(args.timings.read_text()) if args.timings.exists() else None
        if timings is None:
            print(f"note: no timings file at {args.timings}: run `pytest tools/test_notebooks.py` first")
        print(budget_table(notebook_paths(), timings))
    elif args.command == "site":
        pages = build_site(args.dir.resolve(), args.execute)
        print(f"wrote {len(pages)} pages with {sum(n for _, n in pages)} figures, and index.html, to {args.dir}")
    elif args.command == "figures":
        save_figures(args.notebook.resolve(), args.dir)
    elif args.command == "strip":
        rewrite_every_notebook(lambda nb, i, paths: strip(nb))
    elif args.command == "setup":
        rewrite_every_notebook(lambda nb, i, paths: set_setup(nb))
    else:
        rewrite_every_notebook(lambda nb, i, paths: set_nav(nb, nav_source(paths, i)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
