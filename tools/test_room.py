"""The room rehearsal's own logic (tools/room/rehearse.py). The rehearsal itself runs a real
hub with real learners in `./lab.sh test` (step 4); these check its input and its table."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "room"))
import rehearse  # noqa: E402

SCRIPT = Path(rehearse.__file__)


@pytest.mark.parametrize("args, says", [
    (["--learners", "0"], "between 1 and"),
    (["--learners", "two"], "takes numbers like 1,2,4,8"),
    (["--learners", "1,999"], "between 1 and"),
    (["--notebook", "99-nope"], "no notebooks/99-nope.ipynb (one of: 00-start-here"),
])
def test_bad_input_is_one_clear_line(args, says):
    run = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert says in run.stderr
    assert "Traceback" not in run.stderr


def row(n, run_med, mem_max, run_max=None):
    return {"n": n, "server_med": 1.0, "server_max": 1.0, "ready_med": 2.0, "ready_max": 2.0,
            "run_med": run_med, "run_max": run_max or run_med, "mem_max": mem_max, "mem_total": n * mem_max, "held_max": mem_max // 2, "failed": 0}


def test_the_capacity_is_the_largest_room_within_twice_alone():
    rows = [row(1, 10.0, 2**30), row(2, 12.0, 2**30), row(4, 19.9, 2**30), row(8, 41.0, 2**31)]
    text = rehearse.report(rows, cores=2, notebook="00-start-here", machine="m", prep_s=5)
    assert "up to 2.0 learners per core" in text  # 4 learners on 2 cores: 19.9 s ≤ 2 × 10 s
    assert "plan 3,072 MiB of memory per learner (the largest sampled peak, 2,048 MiB, × 1.5)" in text
    assert text.count("\n| ") == 1 + len(rows)  # the header and one line per room


def test_a_noisy_larger_room_does_not_lift_the_capacity_past_one_that_failed():
    rows = [row(1, 10.0, 2**30), row(2, 25.0, 2**30), row(4, 19.0, 2**30)]
    text = rehearse.report(rows, cores=2, notebook="00-start-here", machine="m", prep_s=5)
    assert "up to 0.5 learners per core" in text


def test_the_slowest_learner_decides_not_the_median():
    rows = [row(1, 10.0, 2**30), row(2, 12.0, 2**30), row(4, 18.0, 2**30, run_max=23.0)]
    text = rehearse.report(rows, cores=2, notebook="00-start-here", machine="m", prep_s=5)
    assert "up to 1.0 learners per core" in text  # the median fits at 4, the slowest does not
