"""The room rehearsal: a JupyterHub on this machine with N simulated learners, to size a room.

    ./lab.sh rehearse [--learners 1,2,4,8] [--notebook 00-start-here] [--timeout-min 45]

For each N in turn, N learners arrive at once: each one's server is spawned through the hub's
REST API, their notebook is opened through the server's contents API, a `rust` kernel is
started for it (the sessions API, as JupyterLab does); once every learner's kernel answers, all
of them press Run All together (the worst moment of a day), and every code cell is run in order
over the kernel's websocket, through the hub's proxy, as in a browser. Measured per learner:

    server    from asking for the server until the hub says it is ready (the spawn)
    ready     from asking for the server until the notebook's kernel answers (the learner
              can type): spawn + notebook load + kernel start
    run all   from the first cell sent until the last cell's reply (setup cell included)
    memory    the peak memory of everything the learner's server started (server, kernel,
              evcxr's compiles), as proportional set size (shared pages split among the
              processes that share them), sampled every 0.2 s from /proc

then a capacity table (docs/instructor.md explains how to read it). A benchmark, not a gate.

The model is "one server, the project installed once": learners are processes of this user
(JupyterHub's SimpleLocalProcessSpawner; no logins, only this script's API token), each with
their own home and their own copy of the notebooks, sharing the installed helper crate and the
warm caches (evcxr's and the kernel launcher's build slots), as containers of the workshop image
would. Before measuring, as many build slots as the largest N are warmed, so every kernel finds
the helpers compiled (the prep time is printed).

Everything listens on 127.0.0.1 only, under one temporary folder; every process it starts is
stopped at the end, on an error, on Ctrl-C or a closed terminal, or when --timeout-min runs out.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tools" / "kernel"))
import launcher  # noqa: E402  (standard library only)

try:  # installed by ./lab.sh (.venv/); --help works without them
    from jupyter_core.paths import jupyter_data_dir
    from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect
except ImportError:
    jupyter_data_dir = None

VENV_BIN = Path(sys.executable).parent
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
RUN_MARK = "LAB_ROOM_RUN"  # set in every process it starts: how the rehearsal finds (and stops) them
HUB = "(hub)"  # the hub and its proxy: marked, but no learner's


def say(message: str) -> None:
    print(f"\033[1m[room]\033[0m {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the machine, and memory


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by a cgroup v2 CPU quota
    (a container or a systemd slice), which os.cpu_count() does not see."""
    cores = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = max(1, min(cores, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cores


def machine_line() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    return (f"{usable_cores()} usable logical cores of {os.cpu_count()} ({cpu}), {mem:.0f} GiB, "
            f"{busy_percent():.0f}% busy at start")


def busy_percent(seconds: float = 1.0) -> float:
    """How busy the machine's CPUs were over the last `seconds` (from /proc/stat): the load
    average lags by minutes, this does not."""
    def read() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle
    total0, idle0 = read()
    time.sleep(seconds)
    total1, idle1 = read()
    return 100.0 * (1 - (idle1 - idle0) / max(1, total1 - total0))


def learner_processes(run_id: str) -> dict[str, list[int]]:
    """Every live process of this run, by learner (the JUPYTERHUB_USER in its environment)."""
    found: dict[str, list[int]] = {}
    mark = f"{RUN_MARK}={run_id}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if mark not in env:
            continue
        user = next((e[16:].decode() for e in env if e.startswith(b"JUPYTERHUB_USER=")), HUB)
        found.setdefault(user, []).append(int(entry.name))
    return found


def pss_bytes(pid: int) -> int:
    """The process's proportional share of memory: a page shared by k processes (evcxr's code,
    the kernel's libraries) counts 1/k to each, so the learners' sums add up to the machine's."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


async def sample_memory(run_id: str, peaks: dict[str, int], total: list[int], stop: asyncio.Event):
    def snapshot() -> dict[str, int]:
        return {u: sum(pss_bytes(p) for p in pids)
                for u, pids in learner_processes(run_id).items() if u != HUB and u in peaks}

    while not stop.is_set():
        now = await asyncio.to_thread(snapshot)
        for u, b in now.items():
            peaks[u] = max(peaks.get(u, 0), b)
        total[0] = max(total[0], sum(now.values()))
        try:
            await asyncio.wait_for(stop.wait(), 0.2)
        except asyncio.TimeoutError:
            pass


# ---------------------------------------------------------------- the hub


@dataclass
class Hub:
    run_dir: Path
    run_id: str
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(32))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self, slots_dir: Path) -> str:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        environment = {
            RUN_MARK: self.run_id,
            # Shared with the instructor's install: the `rust` kernelspec, cargo, rustup and
            # the warm caches (evcxr's :cache and the launcher's build slots).
            "JUPYTER_PATH": jupyter_data_dir(),
            "CARGO_HOME": os.environ.get("CARGO_HOME") or str(Path.home() / ".cargo"),
            "RUSTUP_HOME": os.environ.get("RUSTUP_HOME") or str(Path.home() / ".rustup"),
            "XDG_CACHE_HOME": str(cache),
            "LAB_KERNEL_SLOTS_DIR": str(slots_dir),
            "LAB_KERNEL_SLOTS": str(launcher.slot_count()),
        }
        args = ["--ServerApp.ip=127.0.0.1"] + (["--allow-root"] if os.getuid() == 0 else [])
        return "\n".join([
            "c = get_config()  # noqa",
            "c.JupyterHub.ip = '127.0.0.1'",
            f"c.JupyterHub.port = {self.port}",
            "c.JupyterHub.hub_ip = '127.0.0.1'",
            f"c.JupyterHub.hub_port = {free_port()}",
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'",
            f"c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]",
            f"c.ConfigurableHTTPProxy.pid_file = {str(self.run_dir / 'proxy.pid')!r}",
            f"c.JupyterHub.db_url = 'sqlite:///{self.run_dir / 'hub.sqlite'}'",
            f"c.JupyterHub.cookie_secret_file = {str(self.run_dir / 'cookie_secret')!r}",
            # No logins at all: only the rehearsal's API token gets in (a dummy authenticator
            # would let anyone with a shell on this server log in as a learner).
            "c.JupyterHub.authenticator_class = 'null'",
            "c.JupyterHub.spawner_class = 'simple'",
            f"c.SimpleLocalProcessSpawner.home_dir_template = {str(self.run_dir / 'home' / '{username}')!r}",
            f"c.Spawner.cmd = [{str(VENV_BIN / 'jupyterhub-singleuser')!r}]",
            f"c.Spawner.args = {args!r}",
            f"c.Spawner.environment = {environment!r}",
            "c.Spawner.start_timeout = 300",
            "c.Spawner.http_timeout = 300",
            "c.JupyterHub.services = [{'name': 'rehearsal', 'api_token': %r}]" % self.token,
            "c.JupyterHub.load_roles = [{'name': 'rehearsal', 'services': ['rehearsal'],"
            " 'scopes': ['admin:users', 'admin:servers', 'access:servers']}]",
            "c.JupyterHub.cleanup_servers = True",
            "",
        ])

    def start(self, slots_dir: Path) -> None:
        (self.run_dir / "jupyterhub_config.py").write_text(self.config(slots_dir))
        log = open(self.run_dir / "hub.log", "wb")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", "jupyterhub_config.py"],
            cwd=self.run_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            # The mark in the hub's environment too, so the proxy and anything else it starts
            # are found by the final sweep, whatever happens to the hub.
            env=dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", **{RUN_MARK: self.run_id}),
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the hub stops its proxy and servers
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        # Whatever is left (the proxy, a server the hub lost track of, a kernel, a compile):
        # stopped, sweeping until nothing of this run remains (a dying parent can fork).
        for _ in range(50):
            left = [p for pids in learner_processes(self.run_id).values() for p in pids]
            if not left:
                return
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.1)

    async def api(self, method: str, path: str, body: dict | None = None, ok=(200, 201, 202, 204)):
        request = HTTPRequest(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"},
            body=None if body is None and method in ("GET", "DELETE") else json.dumps(body or {}),
            request_timeout=300,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError as e:
            raise RuntimeError(f"{method} {path}: {e}") from None
        if response.code not in ok:
            raise RuntimeError(f"{method} {path}: HTTP {response.code} {response.body[:300]!r}")
        return json.loads(response.body) if response.body else None

    async def wait_up(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub stopped at start: see {self.run_dir / 'hub.log'}")
            try:
                await self.api("GET", "/hub/api/")
                return
            except (RuntimeError, HTTPClientError):
                await asyncio.sleep(0.5)
        raise RuntimeError(f"the hub did not answer in time: see {self.run_dir / 'hub.log'}")


# ---------------------------------------------------------------- one learner


@dataclass
class Result:
    name: str
    server_s: float = 0.0
    ready_s: float = 0.0
    run_all_s: float = 0.0
    held: int = 0  # memory the learner's processes hold once Run All is done (reading time)
    errors: list[str] = field(default_factory=list)


def message(kind: str, content: dict, session: str) -> tuple[str, str]:
    msg_id = uuid.uuid4().hex
    return msg_id, json.dumps({
        "header": {"msg_id": msg_id, "msg_type": kind, "session": session, "username": "learner",
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": [],
    })


async def reply_to(ws, msg_id: str, grace_s: float = 5.0, outputs: list | None = None) -> tuple[dict, list[dict]]:
    """Reads the kernel's messages until `msg_id` has its shell reply and the kernel is idle
    again; returns the reply and the iopub outputs. The idle status can be lost while a kernel
    is starting (a subscriber joining late misses what was published before it joined): once
    the reply is in, it waits at most `grace_s` more for it, instead of forever."""
    reply, idle = None, False
    outputs = [] if outputs is None else outputs  # the caller's list: what came, even on a timeout
    reply_at = 0.0
    while reply is None or not idle:
        if reply is None:
            raw = await ws.read_message()
        else:
            try:
                raw = await asyncio.wait_for(ws.read_message(), max(0.0, reply_at + grace_s - time.monotonic()))
            except asyncio.TimeoutError:
                break
        if raw is None:
            raise RuntimeError("the kernel's websocket closed")
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        if msg["channel"] == "shell":
            reply, reply_at = msg, time.monotonic()
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
        elif kind in ("error", "stream", "display_data", "execute_result"):
            outputs.append(msg)
    return reply, outputs


async def send(ws, session: str, who: str, code: str | None = None) -> tuple[dict, list[dict]]:
    """Sends one request (a kernel_info_request, or an execute_request for `code`) and waits
    for its reply, at most CELL_LIMIT_S: past it, one line saying who waited and the last
    thing the kernel printed."""
    if code is None:
        msg_id, text = message("kernel_info_request", {}, session)
    else:
        msg_id, text = message("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": False}, session)
    await ws.write_message(text)
    outputs: list[dict] = []
    try:
        return await asyncio.wait_for(reply_to(ws, msg_id, outputs=outputs), CELL_LIMIT_S)
    except asyncio.TimeoutError:
        last = [ln for o in outputs for ln in o["content"].get("text", "").splitlines() if ln.strip()]
        raise RuntimeError(f"{who}: no answer in {CELL_LIMIT_S} s"
                           + (f" (the kernel's last output: {last[-1][:150]})" if last else " (no output)")) from None


def first_error(reply: dict, outputs: list[dict]) -> str:
    """One line saying why a cell failed: the error's value, or its first line on stderr."""
    content = reply["content"]
    if content.get("evalue"):
        return content["evalue"].splitlines()[0][:200]
    for o in outputs:
        text = o["content"].get("text") or "".join(o["content"].get("traceback", []))
        for line in text.splitlines():
            if line.strip():
                return line.strip()[:200]
    return f"status {content.get('status')}"


CELL_LIMIT_S = 600  # one cell, however loaded the machine: past it, the room is called failed


async def spawn(hub: Hub, name: str) -> None:
    """Asks the hub for `name`'s server and waits until the hub says it is ready."""
    await hub.api("POST", f"/hub/api/users/{name}/server")
    while True:
        model = await hub.api("GET", f"/hub/api/users/{name}")
        server = (model.get("servers") or {}).get("")
        if server and server.get("ready"):
            return
        if not model.get("pending") and not server:
            raise RuntimeError(f"{name}'s server did not start (see hub.log in the run's folder; --keep keeps it)")
        await asyncio.sleep(0.25)


class Barrier:
    """Every learner waits here until all of them are ready, then all press Run All at once
    (asyncio.Barrier needs Python 3.11; this project supports 3.10)."""

    def __init__(self, parties: int):
        self.left, self.open = parties, asyncio.Event()

    async def wait(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.open.set()
        await self.open.wait()


async def learner(hub: Hub, name: str, notebook: str, start: float, together: Barrier) -> Result:
    r = Result(name)
    await spawn(hub, name)
    r.server_s = time.monotonic() - start
    base = f"/user/{name}"
    path = f"notebooks/{notebook}.ipynb"
    nb = (await hub.api("GET", f"{base}/api/contents/{path}?content=1&type=notebook"))["content"]
    session = await hub.api("POST", f"{base}/api/sessions", {
        "path": path, "name": f"{notebook}.ipynb", "type": "notebook", "kernel": {"name": "rust"}})
    kernel = session["kernel"]["id"]
    client_session = uuid.uuid4().hex
    ws = await websocket_connect(HTTPRequest(
        f"ws://127.0.0.1:{hub.port}{base}/api/kernels/{kernel}/channels?session_id={client_session}",
        headers={"Authorization": f"token {hub.token}"}), max_message_size=1 << 28)
    try:
        await send(ws, client_session, f"{name}'s new kernel")
        r.ready_s = time.monotonic() - start
        await together.wait()
        t0 = time.monotonic()
        for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
            reply, outputs = await send(ws, client_session, f"{name}, code cell {i}", cell["source"])
            expected = {"raises-exception"} & set(cell.get("metadata", {}).get("tags", []))
            failed = reply["content"]["status"] != "ok" or any(
                "panicked at" in o["content"].get("text", "") for o in outputs
                if o["header"]["msg_type"] == "stream")
            if failed and not expected and "expect-panic" not in cell.get("metadata", {}).get("tags", []):
                r.errors.append(f"code cell {i}: {first_error(reply, outputs)}")
        r.run_all_s = time.monotonic() - t0
        r.held = sum(pss_bytes(p) for p in learner_processes(hub.run_id).get(name, []))
    finally:
        ws.close()
        await hub.api("DELETE", f"{base}/api/sessions/{session['id']}")
        await hub.api("DELETE", f"/hub/api/users/{name}/server")
    return r


def make_home(run_dir: Path, name: str) -> None:
    """A learner's home: their own copy of the notebooks; the helper crate is the installed one
    (evcxr resolves `../helpers` to the real path, so every learner's kernel finds it built)."""
    home = run_dir / "home" / name
    home.mkdir(parents=True)
    shutil.copytree(ROOT / "notebooks", home / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (home / "helpers").symlink_to(ROOT / "helpers")


async def settle(run_id: str, names: list[str], limit_s: float = 60) -> None:
    """Waits until every process of these learners has exited (their servers stop after the
    DELETE returns), so the next room does not start on a machine still busy with this one."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and set(names) & set(learner_processes(run_id)):
        await asyncio.sleep(0.25)


async def room(hub: Hub, n: int, notebook: str, round_no: int) -> tuple[list[Result], dict[str, int], int]:
    names = [f"r{round_no}-learner{i + 1}" for i in range(n)]
    for name in names:
        make_home(hub.run_dir, name)
        await hub.api("POST", f"/hub/api/users/{name}", ok=(201,))
    peaks = {name: 0 for name in names}
    total = [0]
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(hub.run_id, peaks, total, stop))
    start = time.monotonic()
    together = Barrier(n)
    tasks = [asyncio.create_task(learner(hub, nm, notebook, start, together)) for nm in names]
    try:
        # The first learner that fails stops the room (the others would wait at the barrier).
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for t in done:
            if t.exception():
                raise t.exception()
        results = [t.result() for t in tasks]
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stop.set()
        await sampler
    await settle(hub.run_id, names)
    return list(results), peaks, total[0]


# ---------------------------------------------------------------- warming the slots


async def warm_slots(hub: Hub, k: int) -> float:
    """Runs the setup cell in k kernels at once (one learner's server), so that k build slots
    hold the compiled helpers. Returns the seconds it took."""
    name = "warmer"
    make_home(hub.run_dir, name)
    await hub.api("POST", f"/hub/api/users/{name}", ok=(201,))
    await spawn(hub, name)
    base = f"/user/{name}"
    setup = (ROOT / "tools" / "setup_cell.rs").read_text()
    t0 = time.monotonic()

    async def one(i: int):
        path = f"notebooks/warm{i}.ipynb"
        await hub.api("PUT", f"{base}/api/contents/{path}", {"type": "notebook", "content": {
            "cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}})
        session = await hub.api("POST", f"{base}/api/sessions", {
            "path": path, "name": f"warm{i}.ipynb", "type": "notebook", "kernel": {"name": "rust"}})
        cs = uuid.uuid4().hex
        ws = await websocket_connect(HTTPRequest(
            f"ws://127.0.0.1:{hub.port}{base}/api/kernels/{session['kernel']['id']}/channels?session_id={cs}",
            headers={"Authorization": f"token {hub.token}"}))
        await send(ws, cs, f"warming kernel {i + 1}")  # as JupyterLab: first, is it up?
        for attempt in (1, 2):  # evcxr's :cache can trip when kernels build at the same moment
            reply, outputs = await send(ws, cs, f"warming kernel {i + 1}, the setup cell", setup)
            if reply["content"]["status"] == "ok":
                break
            why = first_error(reply, outputs)
            say(f"  the setup cell failed in warming kernel {i + 1} (attempt {attempt}): {why}")
        else:
            raise RuntimeError(f"the setup cell failed twice while warming: {why}")
        return ws, session

    opened = await asyncio.gather(*(one(i) for i in range(k)))  # all alive: k distinct slots
    took = time.monotonic() - t0
    for ws, session in opened:
        ws.close()
        await hub.api("DELETE", f"{base}/api/sessions/{session['id']}")
    await hub.api("DELETE", f"/hub/api/users/{name}/server")
    await settle(hub.run_id, [name])
    return took


# ---------------------------------------------------------------- the report


def mib(b: float) -> str:
    return f"{b / 2**20:,.0f} MiB"


def report(rows: list[dict], cores: int, notebook: str, machine: str, prep_s: float) -> str:
    base = rows[0]
    lines = [
        f"Room rehearsal: {notebook}, every learner pressing Run All at once; {machine}",
        f"(prep: {prep_s:.0f} s to warm the build slots for {max(r['n'] for r in rows)} kernels at once)",
        "",
        "| learners | per core | server up (median / max) | ready (median / max) | Run All (median / max) | "
        f"× {'alone' if base['n'] == 1 else str(base['n']) + ' learners'} | "
        "memory per learner: peak / held after | memory, all (peak) | cells failed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['n'] / cores:.1f} | {r['server_med']:.1f} s / {r['server_max']:.1f} s | "
            f"{r['ready_med']:.1f} s / {r['ready_max']:.1f} s | "
            f"{r['run_med']:.1f} s / {r['run_max']:.1f} s | ×{r['run_med'] / base['run_med']:.1f} | "
            f"{mib(r['mem_max'])} / {mib(r['held_max'])} | {mib(r['mem_total'])} | {r['failed']} |")
    # The capacity rule: the most learners per core for which every learner's Run All (the
    # slowest, not the median), in that room and every smaller one, stays within twice the
    # first room's median time (one learner alone, by default): a wait a room tolerates.
    # Memory: the largest sampled peak of any learner, with a 1.5× margin.
    fits = 0
    for r in rows:
        if r["run_max"] > 2 * base["run_med"]:
            break
        fits = r["n"]
    per_core = fits / cores
    per_learner = max(r["mem_max"] for r in rows)
    lines += [
        "",
        f"Capacity (this machine): every learner's Run All stays within 2× of "
        f"{'one learner alone' if base['n'] == 1 else 'the first room'} up to {per_core:.1f} learners "
        f"per core when they all run at once; plan {mib(per_learner * 1.5)} of memory per learner "
        f"(the largest sampled peak, {mib(per_learner)}, × 1.5).",
    ]
    return "\n".join(lines)


async def main_async(args) -> int:
    run_id = uuid.uuid4().hex[:12]
    run_dir = Path(tempfile.mkdtemp(prefix="lab-room-"))
    hub = Hub(run_dir, run_id)
    cores = usable_cores()
    machine = machine_line()
    slots_dir = launcher.slots_root()  # the instructor's warm slots, shared by every learner
    say(f"machine: {machine}")
    say(f"a local JupyterHub on {hub.url} (files and logs in {run_dir})")
    hub.start(slots_dir)
    rows: list[dict] = []
    prep_s = 0.0
    try:
        await hub.wait_up(time.monotonic() + 60)
        k = max(args.learners)
        say(f"warming {k} build slot{'s' if k > 1 else ''} (the setup cell in {k} "
            f"kernel{'s' if k > 1 else ''} at once)")
        prep_s = await warm_slots(hub, k)
        say(f"warm in {prep_s:.0f} s")
        for round_no, n in enumerate(args.learners, 1):
            say(f"{n} learner(s) open {args.notebook} and press Run All")
            results, peaks, total = await room(hub, n, args.notebook, round_no)
            ready = [r.ready_s for r in results]
            server = [r.server_s for r in results]
            run = [r.run_all_s for r in results]
            failed = [e for r in results for e in r.errors]
            for e in failed[:3]:
                say(f"  a cell failed: {e}")
            rows.append({
                "n": n, "server_med": statistics.median(server), "server_max": max(server),
                "ready_med": statistics.median(ready), "ready_max": max(ready),
                "run_med": statistics.median(run), "run_max": max(run),
                "mem_max": max(peaks.values(), default=0), "mem_total": total,
                "held_max": max(r.held for r in results), "failed": len(failed),
            })
            r = rows[-1]
            say(f"  ready {r['ready_med']:.1f} s (max {r['ready_max']:.1f}), Run All {r['run_med']:.1f} s "
                f"(max {r['run_max']:.1f}), {mib(r['mem_max'])} per learner at most, {len(failed)} failed cells")
    finally:
        hub.stop()
        if rows and len(rows) < len(args.learners):
            print("\nThe rooms measured before it stopped:\n" + report(rows, cores, args.notebook, machine, prep_s))
    text = report(rows, cores, args.notebook, machine, prep_s)
    print("\n" + text)
    out = ROOT / "reports" / "room-rehearsal.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n")
    say(f"written to {out.relative_to(ROOT)}")
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    failed = sum(r["failed"] for r in rows)
    if failed:
        say(f"error: {failed} cell(s) failed in the learners' kernels (above): the room would see them too")
        return 1
    return 0


def parse(argv: list[str]):
    p = argparse.ArgumentParser(
        prog="./lab.sh rehearse", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Needs Linux, Rust, Python 3.10+ and Node.js 20+ with npm; ./lab.sh installs the rest.\n"
               "The table is printed and written to reports/room-rehearsal.md.\n"
               "More than 8 learners: LAB_KERNEL_SLOTS=32 ./lab.sh rehearse --learners 8,16,30\n"
               "(about 1 GiB of memory per learner). A heavier notebook: --notebook 08-when-to-use-what\n"
               "How to read the table: docs/instructor.md, 'A room on one server, and beyond'.")
    p.add_argument("--learners", default="1,2,4,8",
                   help="room sizes to try in turn, comma-separated (default 1,2,4,8)")
    p.add_argument("--notebook", default="00-start-here", help="the notebook every learner runs")
    p.add_argument("--timeout-min", type=float, default=45, help="stop everything after this long")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, homes)")
    args = p.parse_args(argv)
    try:
        args.learners = sorted({int(x) for x in args.learners.split(",")})
    except ValueError:
        p.error(f"--learners takes numbers like 1,2,4,8, not {args.learners!r}")
    slots = launcher.slot_count()
    if not args.learners or min(args.learners) < 1 or max(args.learners) > slots:
        p.error(f"--learners: each room size must be between 1 and {slots}, the kernel launcher's "
                "build slots (LAB_KERNEL_SLOTS=16 ./lab.sh rehearse ... for more)")
    if jupyter_data_dir is None:
        p.error("JupyterHub's Python packages are missing: run it as ./lab.sh rehearse, which installs them")
    if not (ROOT / "notebooks" / f"{args.notebook}.ipynb").is_file():
        names = ", ".join(sorted(q.stem for q in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")))
        p.error(f"--notebook: no notebooks/{args.notebook}.ipynb (one of: {names})")
    if not PROXY.exists():
        p.error("JupyterHub's proxy is not installed: run ./lab.sh rehearse (it installs it)")
    if not Path("/proc/self/smaps_rollup").exists():
        p.error("the rehearsal reads processes from Linux's /proc: run it on the Linux server you will teach on")
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    loop = asyncio.new_event_loop()
    task = loop.create_task(main_async(args))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the SSH session dropped
        loop.add_signal_handler(sig, task.cancel)
    loop.call_later(args.timeout_min * 60, task.cancel)
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        say(f"stopped (Ctrl-C, or --timeout-min {args.timeout_min:g} ran out): every process it started is stopped")
        return 1
    except Exception as e:  # one line, never a traceback: the hub's log has the details
        say(f"error: {type(e).__name__}: {e}" if not isinstance(e, RuntimeError) else f"error: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
