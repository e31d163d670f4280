"""The warm spare kernel (tools/jupyter/server/lab_spare.py), in a real JupyterLab started as
the README starts it (./lab.sh start): the spare is taken by the next notebook, replaced, and
skipped (with one log line saying why) when two notebooks open at once, when helpers/ changed
since it started, when it died, when the kernel runs elsewhere, and when spares are off.

Everything is asserted by identity and state (the session's kernel id is the spare's; the
spare's setup cell is its third cell; no warm-up variable is left), never by a duration.
Runs only under `./lab.sh test` (which has just done the setup).
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tools import series
from tools.start_check import _call, _server_info
from tools.test_start import free_port

needs_setup = pytest.mark.skipif(os.environ.get("LAB_SETUP_DONE") != "1", reason="run through ./lab.sh test")

LIMIT_S = 600  # any one wait, however loaded the machine
SETUP_CELL = (series.ROOT / "tools" / "setup_cell.rs").read_text()
READY = re.compile(r"\[lab spare\] spare kernel (\S+) ready")
STARTED = re.compile(r"\[lab spare\] spare kernel (\S+) started")


class Lab:
    """`./lab.sh start --no-browser --port P` in its own process group, its runtime files (and
    so its kernels' connection files) in a fresh folder. The spare is refilled 3 s after it
    is taken (not the default 10 s, to keep the test short; not at once, so that a second
    notebook opened with the first is surely served before the next spare exists)."""

    def __init__(self, tmp: Path, env: dict | None = None):
        self.token = secrets.token_hex(16)
        self.runtime = tmp / "runtime"
        self.runtime.mkdir()
        self.log_path = tmp / "server.log"
        run_env = dict(os.environ, JUPYTER_TOKEN=self.token, JUPYTER_RUNTIME_DIR=str(self.runtime), **(env or {}))
        self.proc = subprocess.Popen(
            ["./lab.sh", "start", "--no-browser", f"--port={free_port()}", "--SpareKernelManager.refill_delay=3"],
            cwd=series.ROOT, env=run_env, stdin=subprocess.DEVNULL, stdout=open(self.log_path, "wb"),
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + LIMIT_S
        while (info := _server_info(self.runtime)) is None:
            assert self.proc.poll() is None, f"JupyterLab exited:\n{self.log()[-3000:]}"
            assert time.monotonic() < deadline, "JupyterLab did not start"
            time.sleep(0.2)
        self.base = f"http://127.0.0.1:{info['port']}"
        while True:
            try:
                _call("GET", f"{self.base}/api/status", self.token, timeout=10)
                break
            except (OSError, ValueError):
                assert time.monotonic() < deadline, "/api/status never answered"
                time.sleep(0.2)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def spare_lines(self) -> list[str]:
        return [ln for ln in self.log().splitlines() if "[lab spare]" in ln]

    def wait_ready(self, n: int, pattern: re.Pattern = READY) -> str:
        """The id of the n-th spare reported ready (or started)."""
        deadline = time.monotonic() + LIMIT_S
        while len(ids := pattern.findall(self.log())) < n:
            assert self.proc.poll() is None and time.monotonic() < deadline, \
                f"no spare number {n} became ready:\n" + "\n".join(self.spare_lines())
            time.sleep(0.2)
        return ids[n - 1]

    def open(self, path: str) -> tuple[str, str]:
        """(session id, kernel id) of `path` opened with a rust kernel, as JupyterLab does."""
        s = _call("POST", f"{self.base}/api/sessions", self.token, {
            "path": path, "name": Path(path).name, "type": "notebook", "kernel": {"name": "rust"}}, timeout=LIMIT_S)
        return s["id"], s["kernel"]["id"]

    def close(self, session: str) -> None:
        _call("DELETE", f"{self.base}/api/sessions/{session}", self.token, timeout=LIMIT_S)

    def kernel_ids(self) -> set[str]:
        return {k["id"] for k in _call("GET", f"{self.base}/api/kernels", self.token)}

    def run(self, kernel: str, code: str) -> tuple[str, int, str]:
        """(status, execution count, everything shown) of `code` run over the kernel's websocket."""
        return asyncio.run(asyncio.wait_for(self._run(kernel, code), LIMIT_S))

    async def _run(self, kernel: str, code: str):
        from jupyter_client.jsonutil import json_default
        from jupyter_client.session import Session
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        session = Session(key=b"", username="test")
        url = self.base.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels?session_id={session.session}"
        ws = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {self.token}"}))
        try:
            msg = session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
            msg["channel"] = "shell"
            await ws.write_message(json.dumps(msg, default=json_default))
            reply, idle, shown = None, False, []
            while reply is None or not idle:
                m = json.loads(await ws.read_message())
                if m.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
                    continue
                kind, content = m["header"]["msg_type"], m["content"]
                if m["channel"] == "shell":
                    reply = content
                elif kind == "status":
                    idle = content["execution_state"] == "idle"
                elif kind == "stream":
                    shown.append(content["text"])
                elif kind == "execute_result":
                    shown.append(content["data"].get("text/plain", ""))
                elif kind == "error":
                    shown.append(f"{content['ename']}: {content['evalue']}")
            return reply["status"], reply["execution_count"], "".join(shown)
        finally:
            ws.close()

    def kernel_pids(self) -> dict[str, int]:
        """Kernel id -> pid of every kernel process of this server (by its connection file)."""
        found = {}
        for proc in Path("/proc").iterdir():
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            for arg in argv:
                name = arg.decode(errors="replace")
                if name.startswith(str(self.runtime)) and "kernel-" in name:
                    found.setdefault(name.rsplit("kernel-", 1)[1].removesuffix(".json"), int(proc.name))
        return found

    def stop(self) -> dict[str, int]:
        """Stops the server; returns its kernels still running afterwards (none, if all is well)."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (left := self.kernel_pids()) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in left.values():
            os.kill(pid, signal.SIGKILL)
        return left


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
    lab = Lab(tmp_path)
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
    lab = Lab(tmp_path, env={"LAB_SPARE_KERNELS": "0"})
    try:
        session, kernel = lab.open("notebooks/00-start-here.ipynb")
        assert set(lab.kernel_pids()) == {kernel}, "spares = 0 must start no kernel but the notebook's"
        assert lab.spare_lines() and "spare kernels are off" in lab.spare_lines()[0], lab.spare_lines()
        assert not READY.findall(lab.log())
        lab.close(session)
    finally:
        left = lab.stop()
    assert not left, left
