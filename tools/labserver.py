"""A JupyterLab on this machine for tests and benchmarks that need a whole server: started,
its REST API and kernel websockets spoken to as JupyterLab does, its kernel processes found,
and everything stopped. Used by tools/test_spare.py and benchmarks/kernel_start.py."""
from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

from tools.start_check import _call, _server_info

ROOT = Path(__file__).resolve().parent.parent
LIMIT_S = 600  # any one wait, however loaded the machine
READY = re.compile(r"\[lab spare\] spare kernel (\S+) ready")
STARTED = re.compile(r"\[lab spare\] spare kernel (\S+) started")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab started by `cmd` (default: `./lab.sh start --no-browser --port P`, as the
    README starts it) plus `args`, in its own process group, its runtime files (and so its
    kernels' connection files) in a fresh folder under `tmp`, its log in tmp/server.log."""

    def __init__(self, tmp: Path, args: list[str] = (), env: dict | None = None, cmd: list[str] | None = None):
        self.token = secrets.token_hex(16)
        self.runtime = tmp / "runtime"
        self.runtime.mkdir()
        self.log_path = tmp / "server.log"
        run_env = dict(os.environ, JUPYTER_TOKEN=self.token, JUPYTER_RUNTIME_DIR=str(self.runtime), **(env or {}))
        self.proc = subprocess.Popen(
            [*(cmd or ["./lab.sh", "start"]), "--no-browser", f"--port={free_port()}", *args],
            cwd=ROOT, env=run_env, stdin=subprocess.DEVNULL, stdout=open(self.log_path, "wb"),
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

    def open(self, path: str, kernel: str = "rust") -> tuple[str, str]:
        """(session id, kernel id) of `path` opened with `kernel`, as JupyterLab does."""
        s = _call("POST", f"{self.base}/api/sessions", self.token, {
            "path": path, "name": Path(path).name, "type": "notebook", "kernel": {"name": kernel}}, timeout=LIMIT_S)
        return s["id"], s["kernel"]["id"]

    def close(self, session: str) -> None:
        _call("DELETE", f"{self.base}/api/sessions/{session}", self.token, timeout=LIMIT_S)

    def kernel_ids(self) -> set[str]:
        return {k["id"] for k in _call("GET", f"{self.base}/api/kernels", self.token)}

    def run(self, kernel: str, code: str) -> tuple[str, int, str]:
        """(status, execution count, everything shown) of `code` run over the kernel's websocket."""
        return self.run_all(kernel, [code])[0][:3]

    def run_all(self, kernel: str, codes: list[str]) -> list[tuple[str, int, str, float]]:
        """Each of `codes` run in turn over one websocket, as JupyterLab runs a notebook's cells:
        (status, execution count, everything shown, time.monotonic() at its reply) for each."""
        return asyncio.run(asyncio.wait_for(self._run(kernel, codes), LIMIT_S))

    async def _run(self, kernel: str, codes: list[str]):
        from jupyter_client.jsonutil import json_default
        from jupyter_client.session import Session
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        session = Session(key=b"", username="test")
        url = self.base.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels?session_id={session.session}"
        ws = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {self.token}"}))
        results = []
        try:
            for code in codes:
                msg = session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                                      "user_expressions": {}, "allow_stdin": False,
                                                      "stop_on_error": True})
                msg["channel"] = "shell"
                await ws.write_message(json.dumps(msg, default=json_default))
                reply, at, idle, shown = None, 0.0, False, []
                while reply is None or not idle:
                    raw = await ws.read_message()
                    if raw is None:
                        raise RuntimeError("the kernel's websocket closed (did the kernel die?)")
                    m = json.loads(raw)
                    if m.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
                        continue
                    kind, content = m["header"]["msg_type"], m["content"]
                    if m["channel"] == "shell":
                        reply, at = content, time.monotonic()
                    elif kind == "status":
                        idle = content["execution_state"] == "idle"
                    elif kind == "stream":
                        shown.append(content["text"])
                    elif kind == "execute_result":
                        shown.append(content["data"].get("text/plain", ""))
                    elif kind == "error":
                        shown.append(f"{content['ename']}: {content['evalue']}")
                results.append((reply["status"], reply["execution_count"], "".join(shown), at))
        finally:
            ws.close()
        return results

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
