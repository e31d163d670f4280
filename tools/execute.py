"""Runs a notebook of the series in the real `rust` kernel, as a learner would, cell by cell.

Used by the notebook tests (tools/test_notebooks.py), by `nbtool figures` and `nbtool site
--execute`, and by benchmarks/kernel_start.py. Each cell gets nbclient's own per-cell
timeout, a hard stop at LIMIT_FACTOR times its budget (series.budget), never more than the
setup cell's budget; how long it took is what nbclient records (`record_timing`: the
kernel's busy and idle messages around it), which the tests compare with the budget.

Also keeps what a run produced: the executed copy of a notebook (reports/executed/, for the
static site) and the timings of every cell (reports/notebook-timings.json, for `nbtool
budget` and the tests' closing table).
"""
from __future__ import annotations

import copy
import json
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

from tools.series import ROOT, SETUP_BUDGET_S, budget, code_cells, read

EXECUTED = ROOT / "reports" / "executed"
TIMINGS = ROOT / "reports" / "notebook-timings.json"

# A cell still running at LIMIT_FACTOR x its budget is stopped there: it has failed its
# budget anyway, and a hung cell costs seconds, not the setup cell's ten minutes.
LIMIT_FACTOR = 3


def limit_s(cell, is_setup: bool) -> int:
    """nbclient's timeout for one cell (seconds)."""
    return int(min(LIMIT_FACTOR * budget(cell, is_setup), SETUP_BUDGET_S))


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def kernel_seconds(cell) -> float | None:
    """How long the kernel worked on the cell, from the timestamps nbclient records in its
    metadata (busy, then the reply and idle); None if it recorded none (an empty cell)."""
    e = cell.get("metadata", {}).get("execution", {})
    start = e.get("iopub.status.busy") or e.get("iopub.execute_input")
    ends = [e[k] for k in ("shell.execute_reply", "iopub.status.idle") if k in e]
    if not start or not ends:
        return None
    return max(0.0, max((_when(x) - _when(start)).total_seconds() for x in ends))


def _first_line(cell) -> str:
    return cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""


def execute(path: Path, rerun: bool = False):
    """Runs the notebook in the rust kernel; returns (it with outputs, a second copy or None,
    timings).

    With `rerun`, every code cell after the setup cell then runs a second time in the
    same kernel, as a learner re-running cells would; the second run's outputs are
    returned as a separate copy of the notebook (or None without `rerun`).

    A cell that reaches its limit (limit_s) stops the run there: timings["stopped"] says
    which, and the cells after it keep no outputs."""
    nb = read(path)
    setup = code_cells(nb)[0]
    client = NotebookClient(
        nb,
        kernel_name="rust",
        timeout_func=lambda cell: limit_s(cell, cell is setup),
        allow_errors=True,
        record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    timings = {"notebook": path.stem, "cells": []}
    second = None

    def run(index: int, cell, again: bool = False) -> bool:
        """One cell; False when it hit its limit (the run stops)."""
        t = time.monotonic()
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError:
            timings["stopped"] = (
                f"{'on the second run, ' if again else ''}cell {index} ({_first_line(cell)!r}) was still running "
                f"after {limit_s(cell, cell is setup)} s ({LIMIT_FACTOR}x its budget of "
                f"{budget(cell, cell is setup):.0f} s): the run stopped there")
            return False
        if not again:
            took = kernel_seconds(cell)
            timings["cells"].append({
                "index": index,
                "seconds": round(time.monotonic() - t if took is None else took, 3),
                "budget": budget(cell, cell is setup),
                "first_line": _first_line(cell),
            })
        return True

    t0 = time.monotonic()
    with client.setup_kernel():
        timings["kernel_ready_s"] = round(time.monotonic() - t0, 2)
        cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        for i, c in cells:
            if not run(i, c):
                break
        timings["total_s"] = round(time.monotonic() - t0, 2)
        if rerun and "stopped" not in timings:
            first = copy.deepcopy(nb)
            for i, c in cells:
                if c is not setup and not run(i, c, again=True):
                    break
            nb, second = first, nb
    return nb, second, timings


def save_executed(path: Path, nb) -> Path:
    """Keeps an executed copy of a notebook for the static site."""
    EXECUTED.mkdir(parents=True, exist_ok=True)
    target = EXECUTED / path.name
    nbformat.write(nb, target)
    return target


def save_timings(timings: dict) -> None:
    """Adds one notebook's timings to TIMINGS (the other notebooks' stay)."""
    TIMINGS.parent.mkdir(exist_ok=True)
    data = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    data[timings["notebook"]] = timings
    TIMINGS.write_text(json.dumps(data, indent=1) + "\n")
