"""`python -m tools.nbtool budget` on a hand-made notebook: what it counts, what it leaves out."""
import nbformat
import pytest

from tools import nbtool


def test_budget_counts_what_a_learner_reads_runs_and_writes(tmp_path):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        md("# 99 · T\n\n## Time budget\n\nAbout 10 minutes."),  # 7 words (marks like # and · are not words)
        code(":dep lab\n\nuse lab::prelude::*;"),  # 2 lines
        # 4 words: the folded answer is not counted
        md("## Exercises\n\n1. Do it.\n\n<details><summary>Why</summary>\n\nmany words\n\n</details>"),
        code("// Solution to exercise 1: x\nlet a = 1;\nlet b = 2;\na + b", metadata={"tags": ["solution"]}),
        md(nbtool.NAV_MARK + "\n\nprevious | next"),
    ]
    path = tmp_path / "99-t.ipynb"
    nbformat.write(nb, path)
    timings = {"99-t": {"kernel_ready_s": 4.0, "cells": [
        {"index": 1, "seconds": 2.0, "first_line": ":dep lab"},
        {"index": 3, "seconds": 6.0, "first_line": "// Solution to exercise 1: x"},
    ]}}
    row = nbtool.learner_budget(path, timings)
    assert (row["words"], row["code"], row["cells"], row["now"], row["stale"]) == (11, 2, 1, 10, False)
    assert row["read"] == pytest.approx(11 / 150 + 2 / 15)
    assert row["run"] == pytest.approx(6 / 60) and row["run_s"] == 8.0
    # exercise 1: 3 lines typed at 3 a minute, twice over, and 3 runs of 6 s
    assert row["one"] == row["all"] == pytest.approx(3 / 3 * 2 + 3 * 6 / 60)
    assert row["exercises"] == {1: pytest.approx(2.3)}
    assert "| 99-t | 11 | 2 (1) | 8 s |" in nbtool.budget_table([path], timings)
    assert "not in the timings file" in nbtool.budget_table([path], {})
    timings["99-t"]["cells"][0]["first_line"] = "let changed"
    assert "changed since the timings" in nbtool.budget_table([path], timings)
