"""The warm spare kernel (tools/jupyter/server/lab_spare.py), in a real JupyterLab started as
the README starts it (./lab.sh start): the spare is taken by the next notebook, replaced, and
skipped (with one log line saying why) when two notebooks open at once, when helpers/ changed
since it started, when it died, when the kernel runs elsewhere, and when spares are off.

Everything is asserted by identity and state (the session's kernel id is the spare's; the
spare's setup cell is its third cell; no warm-up variable is left), never by a duration.
Runs only under `./lab.sh test` (which has just done the setup).
"""
from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tools import series
from tools.labserver import LIMIT_S, READY, STARTED, Lab

needs_setup = pytest.mark.skipif(os.environ.get("LAB_SETUP_DONE") != "1", reason="run through ./lab.sh test")

SETUP_CELL = (series.ROOT / "tools" / "setup_cell.rs").read_text()
# The spare is refilled 3 s after it is taken (not the default 10 s, to keep the test short;
# not at once, so that a second notebook opened with the first is served before the next
# spare exists).
REFILL = ["--SpareKernelManager.refill_delay=3"]


def normal_start(lab: Lab, path: str, why: str) -> None:
    """Opens `path`; it must get a kernel that is not a spare, the log saying `why`."""
    before = len([ln for ln in lab.spare_lines() if "a normal start" in ln])
    session, kernel = lab.open(path)
    assert kernel not in READY.findall(lab.log()), f"{path} got a spare kernel"
    lines = [ln for ln in lab.spare_lines() if "a normal start" in ln][before:]
    assert len(lines) == 1 and why in lines[0], lines
    lab.close(session)


@needs_setup
def test_the_spare_is_taken_replaced_and_skipped_when_it_should_be(tmp_path):
    lab = Lab(tmp_path, REFILL)
    try:
        first = lab.wait_ready(1)
        assert first not in lab.kernel_ids(), "a spare must not be listed among the kernels (JupyterLab would show it)"

        # Two notebooks at once: one gets the spare, the other a normal start, said once.
        with ThreadPoolExecutor(2) as pool:
            opened = list(pool.map(lab.open, ["notebooks/00-start-here.ipynb", "notebooks/01-definitions.ipynb"]))
        kernels = [k for _, k in opened]
        assert kernels.count(first) == 1, (first, kernels)
        (session, kernel), (other, _) = sorted(opened, key=lambda sk: sk[1] != first)
        assert any("another notebook took the spare" in ln for ln in lab.spare_lines()), lab.spare_lines()
        lab.close(other)
        assert kernel in lab.kernel_ids()

        # The notebook's own setup cell in the spare: it is the kernel's third cell (the spare
        # ran the setup cell and a first variable), it answers as a fresh kernel's does, and the
        # warm-up left no variable behind.
        status, count, shown = lab.run(kernel, SETUP_CELL)
        assert status == "ok" and "panicked" not in shown, shown
        status, later, _ = lab.run(kernel, "let mine = 1;")
        assert status == "ok" and later == count + 1
        status, _, variables = lab.run(kernel, ":vars")
        assert status == "ok" and "mine" in variables and "warm" not in variables, variables
        assert count == later - 1 and count >= 4, f"the setup cell was cell {count}: the spare had run nothing before"
        lab.close(session)

        # Replaced behind it; then skipped when helpers/ changed since it started (an mtime
        # change, as cargo sees one; put back at once, so nothing rebuilds).
        second = lab.wait_ready(2)
        assert second != first
        manifest = series.ROOT / "helpers" / "Cargo.toml"
        st = manifest.stat()
        os.utime(manifest, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
        try:
            normal_start(lab, "notebooks/02-async-await.ipynb", "helpers/ or Cargo.lock changed")
        finally:
            os.utime(manifest, ns=(st.st_atime_ns, st.st_mtime_ns))
        deadline = time.monotonic() + LIMIT_S
        while second in lab.kernel_pids():
            assert time.monotonic() < deadline, "the stale spare was not shut down"
            time.sleep(0.2)

        # Skipped when it died (here while warming up, as soon as it has started).
        third = lab.wait_ready(3, STARTED)
        os.kill(lab.kernel_pids()[third], signal.SIGKILL)
        normal_start(lab, "notebooks/03-race-condition.ipynb", "died")

        # Skipped for a kernel that runs in another folder (not the series' notebooks/).
        normal_start(lab, "elsewhere.ipynb", "runs in")
    finally:
        left = lab.stop()
    assert not left, f"kernels left running after the server stopped (a spare?): {left}"


@needs_setup
def test_no_spare_when_turned_off(tmp_path):
    lab = Lab(tmp_path, REFILL, env={"LAB_SPARE_KERNELS": "0"})
    try:
        session, kernel = lab.open("notebooks/00-start-here.ipynb")
        assert set(lab.kernel_pids()) == {kernel}, "spares = 0 must start no kernel but the notebook's"
        assert lab.spare_lines() and "spare kernels are off" in lab.spare_lines()[0], lab.spare_lines()
        assert not READY.findall(lab.log())
        lab.close(session)
    finally:
        left = lab.stop()
    assert not left, left


@needs_setup
def test_a_server_stopped_while_its_spare_starts_leaves_no_kernel(tmp_path):
    # Kernels run in sessions of their own: stopping the server's process group does not stop
    # them, the server must. Stopped as soon as it answers, its spare is still starting.
    lab = Lab(tmp_path, REFILL)
    left = lab.stop()
    assert not left, f"kernels left running after the server stopped: {left}"
