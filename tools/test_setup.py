"""The setup behind `./lab.sh start` and `./lab.sh test` is idempotent: run again right
after a setup, it installs nothing and says it is ready.

Runs only under `./lab.sh test` (which has just done a setup); run alone, for instance on
the conda route, it is skipped rather than installing anything.
"""
import os
import subprocess

import pytest

import nbtool


@pytest.mark.skipif(os.environ.get("LAB_SETUP_DONE") != "1", reason="run through ./lab.sh test")
def test_a_second_setup_installs_nothing():
    run = subprocess.run(
        ["bash", str(nbtool.ROOT / "lab.sh"), "setup"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    for word in ("creating", "installing", "building", "registering"):
        assert word not in out, f"a second setup is not a no-op ({word!r}):\n{out}"
    assert "ready" in out, out
