"""The setup behind `./lab.sh start` and `./lab.sh test` is idempotent: run again right
after a setup, it installs nothing and says it is ready.

Runs only under `./lab.sh test` (which has just done a setup); run alone, for instance on
the conda route, it is skipped rather than installing anything.
"""
import os
import subprocess
import tempfile

import pytest

import nbtool


@pytest.mark.skipif(os.environ.get("LAB_SETUP_DONE") != "1", reason="run through ./lab.sh test")
def test_a_second_setup_installs_nothing():
    # `setup hub`, what the workshop image's build runs (the Dockerfile): everything `setup`
    # does, plus JupyterHub's single-user server (installed by the room rehearsal, step 4).
    run = subprocess.run(
        ["bash", str(nbtool.ROOT / "lab.sh"), "setup", "hub"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    for word in ("creating", "installing", "building", "registering", "warming", "wiped"):
        assert word not in out, f"a second setup is not a no-op ({word!r}):\n{out}"
    assert "ready" in out, out


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(os.environ.get("LAB_SETUP_DONE") != "1", reason="run through ./lab.sh test")
def test_lab_start_greets_a_newcomer_without_the_news_popup():
    """`./lab.sh start` serves JupyterLab with the project's settings: JupyterLab asks
    "fetch official Jupyter news?" when fetchNews is unset; ours answers it ("false")."""
    import json
    import signal
    import time
    import urllib.request

    port, token = free_port(), "lab-test-token"
    log = tempfile.TemporaryFile()  # read only on failure; a pipe left undrained could block
    server = subprocess.Popen(
        ["bash", str(nbtool.ROOT / "lab.sh"), "start", "--no-browser", f"--port={port}",
         "--ServerApp.port_retries=0", f"--ServerApp.token={token}"],
        stdout=subprocess.DEVNULL,
        stderr=log,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, stopped as one below
    )
    url = f"http://127.0.0.1:{port}/lab/api/settings/@jupyterlab/apputils-extension:notification"
    try:
        deadline, settings = time.monotonic() + 120, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(req, timeout=5) as reply:
                    settings = json.load(reply)
                break
            except OSError:
                time.sleep(0.5)
        if settings is None:
            log.seek(0)
            raise AssertionError(f"JupyterLab did not answer on port {port}:\n{log.read().decode()[-3000:]}")
        # The project's overrides become the schema's defaults; the user may still change them.
        defaults = {k: v.get("default") for k, v in settings["schema"]["properties"].items()}
        assert defaults.get("fetchNews") == "false", defaults
        assert defaults.get("checkForUpdates") is False, defaults
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
