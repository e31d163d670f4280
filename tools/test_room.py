"""The room rehearsal's own logic (tools/room/). The rehearsal itself runs a real hub with real
learners in `./lab.sh test` (step 4); these check its input, its errors and its table, and
drive a hub that is already running through --hub-url, as an instructor would."""
from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from tools.kernel import launcher
from tools.room import PROXY, VENV_BIN, rehearse
from tools.room.hub import ROOT, Hub, free_port
from tools.room.report import Setup, report

ENV = {k: v for k, v in os.environ.items() if k not in ("LAB_HUB_TOKEN", "LAB_KERNEL_SLOTS")}


def rehearsal(*args: str, timeout: float = 60, out: Path | None = None, python: tuple = (sys.executable,)
              ) -> subprocess.CompletedProcess:
    """The rehearsal as ./lab.sh runs it; its table goes to `out`, never to the instructor's report."""
    out = out or Path(os.devnull)
    return subprocess.run([*python, "-m", "tools.room.rehearse", *args, "--out", str(out)], capture_output=True,
                          text=True, timeout=timeout, env=ENV, cwd=ROOT)


@pytest.mark.parametrize("args, says", [
    (["--learners", "0"], "between 1 and"),
    (["--learners", "two"], "takes numbers like 1,2,4,8"),
    (["--learners", "1,999"], "between 1 and"),
    (["--notebook", "99-nope"], "no notebooks/99-nope.ipynb (one of: 00-start-here"),
    (["--notebooks", "00-start-here,99-nope"], "--notebooks: no notebooks/99-nope.ipynb (one of:"),
    (["--notebooks", "00-start-here,00-start-here"], "each notebook once"),
    (["--notebook", "00-start-here", "--notebooks", "08-when-to-use-what"], "not both"),
    (["--learners", "8", "--notebooks", "00-start-here,08-when-to-use-what"], "between 1 and 4: every kernel"),
    (["--token", "abc"], "--token goes with --hub-url"),
    (["--hub-url", "hub.example.org", "--token", "abc"], "is not an http(s) address"),
    (["--hub-url", "ftp://hub.example.org", "--token", "abc"], "is not an http(s) address"),
    (["--hub-url", "https://hub.example.org"], "--hub-url needs --token (or LAB_HUB_TOKEN)"),
    (["--hub-url", "https://hub.example.org", "--token", "abc", "--user-prefix", "Bad_"], "--user-prefix"),
])
def test_bad_input_is_one_clear_line(args, says):
    run = rehearsal(*args)
    assert run.returncode == 2, run.stderr
    assert says in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("pasted, address", [
    ("https://hub.example.org/", "https://hub.example.org"),
    ("https://hub.example.org/hub/home", "https://hub.example.org"),
    ("http://10.0.0.5:8000/course/hub/", "http://10.0.0.5:8000/course"),
    ("hub.example.org", None),
])
def test_the_hub_address_is_taken_from_what_an_instructor_pastes(pasted, address):
    assert rehearse.hub_address(pasted) == address


def test_its_help_and_argument_errors_need_only_the_standard_library():
    """./lab.sh rehearse --help runs it with any python3, before anything is installed:
    -S leaves out every installed package, the project's too."""
    run = rehearsal("--help", python=(sys.executable, "-S"))
    assert run.returncode == 0, run.stderr
    assert "usage: ./lab.sh rehearse" in run.stdout and "--hub-url URL" in run.stdout
    run = rehearsal("--learners", "two", python=(sys.executable, "-S"))
    assert run.returncode == 2 and "takes numbers like 1,2,4,8" in run.stderr, run.stderr
    run = rehearsal("--learners", "1", python=(sys.executable, "-S"))
    assert run.returncode == 2 and "the rehearsal's Python packages are missing" in run.stderr, run.stderr


def test_an_unreachable_hub_is_one_line():
    run = rehearsal("--hub-url", f"http://127.0.0.1:{free_port()}", "--token", "abc", "--learners", "1")
    assert run.returncode == 1
    assert "error: cannot reach the hub: GET http://127.0.0.1:" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_a_server_that_is_not_a_hub_is_one_line():
    class NotAHub(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"<html>nothing here</html>")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotAHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = rehearsal("--hub-url", f"http://127.0.0.1:{server.server_port}/", "--token", "abc")
    finally:
        server.shutdown()
    assert run.returncode == 1
    assert f"error: no JupyterHub at http://127.0.0.1:{server.server_port} (GET /hub/api/: HTTP 404" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def row(n, run_med, mem_max, run_max=None):
    return {"n": n, "server_med": 1.0, "server_max": 1.0, "ready_med": 2.0, "ready_max": 2.0,
            "before_med": 0.0, "before_max": 0.0, "run_med": run_med, "run_max": run_max or run_med,
            "mem_max": mem_max, "mem_total": None if mem_max is None else n * mem_max,
            "held_max": None if mem_max is None else mem_max // 2, "failed": 0}


def local(notebooks=("00-start-here",)):
    return Setup("a local JupyterHub 6.1.1 on 127.0.0.1", list(notebooks), machine="m", cores=2, prep="prep: 5 s")


def test_the_capacity_is_the_largest_room_within_twice_alone():
    rows = [row(1, 10.0, 2**30), row(2, 12.0, 2**30), row(4, 19.9, 2**30), row(8, 41.0, 2**31)]
    text = report(rows, local())
    assert "up to 2.0 learners per core" in text  # 4 learners on 2 cores: 19.9 s ≤ 2 × 10 s
    assert "plan 3,072 MiB of memory per learner (the largest sampled peak, 2,048 MiB, × 1.5)" in text
    assert text.count("\n| ") == 1 + len(rows)  # the header and one line per room
    assert "Each learner opened 00-start-here (one kernel); then all of them pressed Run All on it at once." in text


def test_a_noisy_larger_room_does_not_lift_the_capacity_past_one_that_failed():
    rows = [row(1, 10.0, 2**30), row(2, 25.0, 2**30), row(4, 19.0, 2**30)]
    assert "up to 0.5 learners per core" in report(rows, local())


def test_the_slowest_learner_decides_not_the_median():
    rows = [row(1, 10.0, 2**30), row(2, 12.0, 2**30), row(4, 18.0, 2**30, run_max=23.0)]
    assert "up to 1.0 learners per core" in report(rows, local())


def test_the_table_says_which_notebooks_were_run_and_which_only_waited():
    text = report([row(1, 50.0, 2**31)], local(["00-start-here", "08-when-to-use-what"]))
    assert ("Each learner opened 00-start-here and 08-when-to-use-what at once (a kernel each, as 2 tabs), "
            "ran 00-start-here top to bottom and left its kernel open, then all of them pressed Run All on "
            "08-when-to-use-what at once") in text
    assert "Running 00-start-here first" in text
    assert text.startswith("Room rehearsal on a local JupyterHub 6.1.1 on 127.0.0.1; this machine: m.")


def test_a_remote_hub_says_memory_was_not_measured():
    setup = Setup("the JupyterHub 6.1.1 at https://hub.example.org", ["00-start-here"],
                  prep="prep: none", server_version="2.21.1")
    text = report([row(1, 10.0, None), row(4, 15.0, None)], setup)
    lines = [ln for ln in text.splitlines() if ln.startswith("| 1 ") or ln.startswith("| 4 ")]
    assert len(lines) == 2
    for line in lines:
        assert line.count("not measured (remote hub)") == 2  # per learner, and all together
        assert line.split(" | ")[1] == "—"  # no cores known: no learners per core
    assert "up to 4 learner(s) running at once" in text
    assert "Memory: not measured (remote hub)" in text and "MiB" not in text
    assert "the JupyterHub 6.1.1 at https://hub.example.org (learners' servers: jupyter_server 2.21.1)" in text


# ------------------------------------------------------- an existing hub, driven through --hub-url


def can_run_a_hub() -> str | None:
    """Why a real hub cannot run here, or None."""
    if not Path("/proc/self/smaps_rollup").exists():
        return "not Linux"
    if not PROXY.exists() or not (VENV_BIN / "jupyterhub").exists():
        return "JupyterHub or its proxy is not installed (./lab.sh rehearse installs them)"
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    try:
        KernelSpecManager().get_kernel_spec("rust")
    except NoSuchKernel:
        return "no rust kernel registered (./lab.sh setup)"
    return None


@pytest.fixture(scope="module")
def running_hub(tmp_path_factory):
    """A hub that is already running, as an instructor's is: the rehearsal's own local hub, plus
    a service whose token may only read users (a token that lacks scopes)."""
    why = can_run_a_hub()
    if why:
        pytest.skip(why)
    weak = uuid.uuid4().hex
    hub = Hub(tmp_path_factory.mktemp("hub"), uuid.uuid4().hex[:12], extra_config="\n".join([
        f"c.JupyterHub.services.append({{'name': 'weak', 'api_token': {weak!r}}})",
        "c.JupyterHub.load_roles.append({'name': 'weak', 'services': ['weak'], 'scopes': ['read:users']})",
    ]))
    hub.start(launcher.slots_root())
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not hub_answers(hub):
            assert hub.process.poll() is None, (hub.run_dir / "hub.log").read_text()[-2000:]
            time.sleep(0.5)
        yield hub, weak
    finally:
        hub.stop()


def hub_answers(hub) -> bool:
    import urllib.request
    try:
        with urllib.request.urlopen(f"{hub.url}/hub/api/", timeout=2):
            return True
    except OSError:
        return False


def hub_users(hub) -> list[str]:
    import json
    import urllib.request
    request = urllib.request.Request(f"{hub.url}/hub/api/users", headers={"Authorization": f"token {hub.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return [u["name"] for u in json.load(response)]


def test_a_bad_token_and_a_token_without_scopes_are_one_line(running_hub):
    hub, weak = running_hub
    run = rehearsal("--hub-url", hub.url, "--token", "not-a-token", "--learners", "1")
    assert run.returncode == 1
    assert "error: the hub refused the token (HTTP 403)" in run.stdout
    run = rehearsal("--hub-url", hub.url, "--token", weak, "--learners", "1")
    assert run.returncode == 1
    assert "error: the token (service 'weak') lacks the scope(s) admin:users, servers, access:servers" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert hub_users(hub) == []  # it stopped before creating anyone


def test_the_rehearsal_drives_an_existing_hub_and_leaves_it_as_it_was(running_hub, tmp_path):
    hub, _ = running_hub
    run = rehearsal("--hub-url", f"{hub.url}/hub/home", "--token", hub.token, "--learners", "1",
                    "--user-prefix", "test-rehearse-", timeout=600, out=tmp_path / "room.md")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Room rehearsal on the JupyterHub" in run.stdout
    assert "| 1 | — |" in run.stdout and "not measured (remote hub)" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert "not measured (remote hub)" in (tmp_path / "room.md").read_text()
    assert hub_users(hub) == []  # test-rehearse-1 was created, then deleted
