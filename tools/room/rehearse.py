"""The room rehearsal: N simulated learners on a JupyterHub, to size a room.

    ./lab.sh rehearse [--learners 1,2,4,8] [--notebooks 00-start-here,08-when-to-use-what]
    ./lab.sh rehearse --hub-url https://hub.example.org --token TOKEN [--learners 1,4,16]

Which hub:
  (default)   a JupyterHub that the rehearsal starts on this machine, on 127.0.0.1 only, with
              no logins (only its own API token gets in). Learners are processes of this user
              (SimpleLocalProcessSpawner), each with their own home, started with the image's hub command
              (`lab.sh singleuser`: a work/ folder with their own copy of the notebooks),
              sharing the installed helper crate and the warm caches (evcxr's and the kernel
              launcher's build slots), as containers of the workshop image would. Before
              measuring, as many build slots as kernels run at once are warmed. Memory is
              measured. Linux only (it reads /proc).
  --hub-url   the hub you will teach on, already running: nothing is installed or started
              here. Learners are users named rehearse-1, rehearse-2, ... (--user-prefix) that
              the rehearsal creates through the hub's REST API and deletes at the end (it
              stops if one exists already). Their servers are whatever the hub spawns (the
              workshop image), whose root folder must hold notebooks/ (the image's does). The token must carry the scopes admin:users, servers and
              access:servers: an admin's token from <hub>/hub/token with no scope chosen has
              them. Memory is not measured (the servers run on the hub's machines).

Each learner's server is spawned through the hub's REST API; every notebook in --notebooks is
opened at once, a tab each (loaded through the contents API, a `rust` kernel started through
the sessions API, as JupyterLab does). Every notebook but the last is then run top to bottom
and its kernel left open, as the tabs of a learner who finished them; once every learner is
there, all of them press Run All on the last notebook together (the worst moment of a day).
Every cell runs over its kernel's websocket, through the hub's proxy, as in a browser.
Measured per learner:

    server    from asking for the server until the hub says it is ready (the spawn)
    ready     from asking for the server until every notebook's kernel answers (the learner
              can type): spawn + notebooks loaded + kernels started
    run all   the last notebook: from its first cell sent until its last cell's reply
    memory    (local hub only) the peak memory of everything the learner's server started
              (server, every kernel, evcxr's compiles), as proportional set size (shared pages
              split among the processes that share them), sampled every 0.2 s from /proc

then a capacity table (docs/instructor.md explains how to read it). A benchmark, not a gate.
Every process it starts, every server and user it creates, is stopped or deleted at the end,
on an error, on Ctrl-C or a closed terminal, or when --timeout-min runs out.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
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
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tools" / "kernel"))
import launcher  # noqa: E402  (standard library only)
sys.path.insert(0, str(ROOT / "tools"))
from start_check import SETTINGS, settings_problems  # noqa: E402  (standard library only)

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
# What the rehearsal's token must be allowed: create and delete users, start and stop their
# servers, and reach those servers (contents, sessions, kernels) through the proxy.
HUB_SCOPES = ("admin:users", "servers", "access:servers")
NOT_MEASURED = "not measured (remote hub)"


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


# ---------------------------------------------------------------- talking to a hub


class HubError(RuntimeError):
    """An HTTP error from the hub, or from a learner's server behind it, in one line."""

    def __init__(self, method: str, path: str, code: int, reason: str):
        super().__init__(f"{method} {path}: HTTP {code} {reason}")
        self.code = code


def reason_in(body: bytes) -> str:
    """The one-line reason in an error response: the `message` that JupyterHub and Jupyter
    Server send as JSON, else the start of the text."""
    try:
        text = str(json.loads(body).get("message") or "")
    except (ValueError, AttributeError):
        text = body.decode(errors="replace")
    return " ".join(text.split())[:200]


@dataclass
class HubClient:
    """A hub's REST API, and learners' servers through its proxy, with one API token."""
    url: str  # the address learners open: http(s)://host[:port][/prefix], no trailing slash
    token: str
    timeout_s: float = 120

    async def fetch(self, method: str, path: str, body: dict | None = None,
                    ok=(200, 201, 202, 204), auth: bool = True, timeout_s: float | None = None) -> bytes:
        request = HTTPRequest(
            f"{self.url}{path}", method=method,
            headers={"Authorization": f"token {self.token}"} if auth else {},
            body=None if body is None and method in ("GET", "DELETE") else json.dumps(body or {}),
            connect_timeout=30, request_timeout=timeout_s or self.timeout_s,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except (OSError, HTTPClientError) as e:  # refused, no such host, TLS, a timeout (599)
            raise RuntimeError(f"{method} {self.url}{path}: {e}") from None
        if response.code not in ok:
            raise HubError(method, path, response.code, reason_in(response.body or b""))
        return response.body or b""

    async def api(self, method: str, path: str, body: dict | None = None, ok=(200, 201, 202, 204),
                  auth: bool = True):
        raw = await self.fetch(method, path, body, ok, auth)
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise RuntimeError(f"{method} {self.url}{path}: the answer is not JSON (not a JupyterHub?)") from None

    async def websocket(self, path: str):
        url = "ws" + self.url[len("http"):] + path  # http: -> ws:, https: -> wss:
        try:
            return await websocket_connect(HTTPRequest(
                url, headers={"Authorization": f"token {self.token}"}, connect_timeout=30,
                request_timeout=self.timeout_s), max_message_size=1 << 28)
        except (OSError, HTTPClientError) as e:
            raise RuntimeError(f"the kernel's websocket {path}: {e}") from None


async def check_hub(client: HubClient) -> str:
    """An existing hub: checks its address and the token before anything is created there.
    Returns the hub's version."""
    try:
        info = await client.api("GET", "/hub/api/", auth=False)
    except HubError as e:
        raise RuntimeError(f"no JupyterHub at {client.url} ({e}): give the address learners open, "
                           "e.g. https://hub.example.org") from None
    except RuntimeError as e:
        raise RuntimeError(f"cannot reach the hub: {e}") from None
    if not isinstance(info, dict) or "version" not in info:
        raise RuntimeError(f"no JupyterHub at {client.url} (GET /hub/api/ has no version in its answer)")
    try:
        me = await client.api("GET", "/hub/api/user")
    except HubError as e:
        if e.code in (401, 403):
            raise RuntimeError(f"the hub refused the token (HTTP {e.code}): a wrong or expired token? "
                               f"An admin can make one at {client.url}/hub/token") from None
        raise
    missing = [s for s in HUB_SCOPES if s not in me.get("scopes", HUB_SCOPES)]
    if missing:
        raise RuntimeError(f"the token ({me.get('kind', 'user')} {me.get('name')!r}) lacks the scope(s) "
                           f"{', '.join(missing)}: use an admin's token (from {client.url}/hub/token, no scope "
                           f"chosen) or a service's with {', '.join(HUB_SCOPES)}")
    return str(info["version"])


# ---------------------------------------------------------------- a hub on this machine


HOME_HOOK = '''
import shutil
from pathlib import Path


def make_home(spawner):
    """A learner's home, empty at every spawn. What is in it comes from the command the
    workshop image gives a hub (`lab.sh singleuser`): work/ with the notebooks copied in and
    links to the installed helper crate (evcxr resolves `../helpers` to its real path, found
    built), as in a container of the image."""
    home = Path(spawner.home_dir)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)


c.Spawner.pre_spawn_hook = make_home
'''


@dataclass
class Hub:
    """A JupyterHub on 127.0.0.1, its files under run_dir, every process it starts marked with
    run_id. `extra_config` is appended to its config (the tests add a service with too few scopes)."""
    run_dir: Path
    run_id: str
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(32))
    extra_config: str = ""
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def client(self) -> HubClient:
        return HubClient(self.url, self.token)

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
            # The command the instructor guide gives every hub: the learner's work/ made on
            # first start, then jupyterhub-singleuser serving it (one per learner's home here).
            f"c.Spawner.cmd = [{str(ROOT / 'lab.sh')!r}, 'singleuser']",
            f"c.Spawner.args = {args!r}",
            f"c.Spawner.environment = {environment!r}",
            "c.Spawner.environment['LAB_WORK_DIR'] = lambda spawner: spawner.home_dir + '/work'",
            "c.Spawner.start_timeout = 300",
            "c.Spawner.http_timeout = 300",
            "c.JupyterHub.services = [{'name': 'rehearsal', 'api_token': %r}]" % self.token,
            "c.JupyterHub.load_roles = [{'name': 'rehearsal', 'services': ['rehearsal'], "
            f"'scopes': {list(HUB_SCOPES)!r}}}]",
            "c.JupyterHub.cleanup_servers = True",
            HOME_HOOK,
            self.extra_config,
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

    async def wait_up(self, deadline: float) -> str:
        """Waits until the hub answers; returns its version."""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub stopped at start: see {self.run_dir / 'hub.log'}")
            try:
                return str((await self.client.api("GET", "/hub/api/"))["version"])
            except RuntimeError:
                await asyncio.sleep(0.5)
        raise RuntimeError(f"the hub did not answer in time: see {self.run_dir / 'hub.log'}")


# ---------------------------------------------------------------- one learner


@dataclass
class Run:
    """What every learner needs: the hub, what to open, and how long a spawn may take."""
    client: HubClient
    notebooks: list[str]
    spawn_timeout_s: float
    logs: str  # where to look when a server does not start
    local: Hub | None = None  # the hub this run started (memory is sampled from its processes)
    users: list[str] = field(default_factory=list)  # the users it created, deleted at the end


@dataclass
class Result:
    name: str
    server_s: float = 0.0
    ready_s: float = 0.0
    before_s: float = 0.0  # running every notebook but the last (before Run All together)
    run_all_s: float = 0.0
    held: int = 0  # memory the learner's processes hold once Run All is done (reading time)
    server_version: str = ""
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


KERNEL_INFO_TRY_S = 60  # one kernel_info_request; unanswered, it is sent again (JupyterLab retries too)


async def kernel_up(client: HubClient, ws, session: str, who: str, kernel_url: str) -> None:
    """Waits until a new kernel answers a kernel_info_request, as JupyterLab does before it
    lets a cell run. A request sent while the kernel is still binding its sockets can be
    lost, so an unanswered one is sent again every KERNEL_INFO_TRY_S, for at most
    CELL_LIMIT_S in all; past that, one line with the kernel's state as the server sees it."""
    deadline = time.monotonic() + CELL_LIMIT_S
    while True:
        msg_id, text = message("kernel_info_request", {}, session)
        await ws.write_message(text)
        try:
            await asyncio.wait_for(reply_to(ws, msg_id), min(KERNEL_INFO_TRY_S, max(1.0, deadline - time.monotonic())))
            return
        except asyncio.TimeoutError:
            if time.monotonic() < deadline:
                say(f"  {who}: no answer to kernel_info in {KERNEL_INFO_TRY_S} s; asking again")
                continue
        try:
            model = await client.api("GET", kernel_url)
            state = f"the server says it is {model.get('execution_state')!r}"
        except Exception as e:  # the kernel is gone, or the server is
            state = f"the server cannot say ({e})"
        raise RuntimeError(f"{who}: the kernel never answered kernel_info in {CELL_LIMIT_S} s ({state})")


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


async def spawn(run: Run, name: str) -> None:
    """Asks the hub for `name`'s server and waits until the hub says it is ready."""
    try:
        await run.client.api("POST", f"/hub/api/users/{name}/server")
    except HubError as e:
        if e.code < 500:
            raise
        why = await spawn_failure(run.client, name)  # the 500's own text is often only "Internal Server Error"
        raise RuntimeError(f"the hub could not start {name}'s server: {why} (HTTP {e.code}; {run.logs})") from None
    deadline = time.monotonic() + run.spawn_timeout_s
    while True:
        model = await run.client.api("GET", f"/hub/api/users/{name}")
        server = (model.get("servers") or {}).get("")
        if server and server.get("ready"):
            return
        if not model.get("pending") and not server:
            why = await spawn_failure(run.client, name)
            raise RuntimeError(f"the hub could not start {name}'s server: {why} ({run.logs})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}'s server was not ready after {run.spawn_timeout_s / 60:g} min "
                               f"(--spawn-timeout-min; {run.logs})")
        await asyncio.sleep(0.25 if run.local else 1.0)


async def spawn_failure(client: HubClient, name: str) -> str:
    """Why the hub gave up on a server: the last event of its progress stream ("Spawn failed: ...")."""
    try:
        raw = await client.fetch("GET", f"/hub/api/users/{name}/server/progress", timeout_s=15)
    except RuntimeError:
        return "the hub gave no reason"
    for line in reversed(raw.decode(errors="replace").splitlines()):
        try:
            event = json.loads(line[len("data:"):]) if line.startswith("data:") else {}
        except ValueError:
            continue
        if event.get("failed"):
            return " ".join(str(event.get("message") or "Spawn failed").split())[:200]
    return "the hub gave no reason"


async def stop_server(client: HubClient, name: str, limit_s: float = 300) -> None:
    """Stops `name`'s server and waits until the hub says it has stopped."""
    await client.api("DELETE", f"/hub/api/users/{name}/server")
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        model = await client.api("GET", f"/hub/api/users/{name}")
        if not model.get("pending") and not (model.get("servers") or {}).get(""):
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{name}'s server did not stop in {limit_s:.0f} s")


@dataclass
class Tab:
    """One open notebook: its code cells and its kernel's websocket."""
    notebook: str
    cells: list[dict]
    session_id: str
    client_session: str = field(default_factory=lambda: uuid.uuid4().hex)
    ws: object = None


async def open_tab(client: HubClient, name: str, notebook: str, tabs: list[Tab]) -> None:
    """Opens a notebook as JupyterLab does: loads it, starts its kernel (a session), connects,
    and waits until the kernel answers. The tab joins `tabs` as soon as its kernel exists, so
    that it is closed whatever happens next."""
    base = f"/user/{name}"
    path = f"notebooks/{notebook}.ipynb"
    try:
        nb = (await client.api("GET", f"{base}/api/contents/{path}?content=1&type=notebook"))["content"]
    except HubError as e:
        if e.code != 404:
            raise
        raise RuntimeError(f"{name}'s server has no {path}: the rehearsal opens notebooks/ under the "
                           "server's root folder, as the workshop image serves it") from None
    session = await client.api("POST", f"{base}/api/sessions", {
        "path": path, "name": f"{notebook}.ipynb", "type": "notebook", "kernel": {"name": "rust"}})
    tab = Tab(notebook, [c for c in nb["cells"] if c["cell_type"] == "code"], session["id"])
    tabs.append(tab)
    tab.ws = await client.websocket(
        f"{base}/api/kernels/{session['kernel']['id']}/channels?session_id={tab.client_session}")
    await kernel_up(client, tab.ws, tab.client_session, f"{name}'s new kernel for {notebook}",
                    f"{base}/api/kernels/{session['kernel']['id']}")


async def open_tabs(client: HubClient, name: str, notebooks: list[str], tabs: list[Tab]) -> None:
    """Opens every notebook at once, as a learner's tabs; the first failure stops the others."""
    opening = [asyncio.ensure_future(open_tab(client, name, nb, tabs)) for nb in notebooks]
    try:
        await asyncio.gather(*opening)
    finally:
        for task in opening:
            task.cancel()
        await asyncio.gather(*opening, return_exceptions=True)
    tabs.sort(key=lambda t: notebooks.index(t.notebook))


async def run_cells(tab: Tab, name: str) -> list[str]:
    """Runs every code cell of the tab's notebook in order; returns the cells that failed."""
    errors = []
    for i, cell in enumerate(tab.cells):
        reply, outputs = await send(tab.ws, tab.client_session, f"{name}, {tab.notebook}, code cell {i}",
                                    cell["source"])
        tags = set(cell.get("metadata", {}).get("tags", []))
        failed = reply["content"]["status"] != "ok" or any(
            "panicked at" in o["content"].get("text", "") for o in outputs
            if o["header"]["msg_type"] == "stream")
        if failed and not tags & {"raises-exception", "expect-panic"}:
            errors.append(f"{tab.notebook}, code cell {i}: {first_error(reply, outputs)}")
    return errors


async def close_tabs(client: HubClient, name: str, tabs: list[Tab]) -> None:
    for tab in tabs:
        if tab.ws:
            tab.ws.close()
        try:
            await client.api("DELETE", f"/user/{name}/api/sessions/{tab.session_id}")
        except RuntimeError:
            pass  # the server is stopped next anyway, its kernels with it


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


async def learner(run: Run, name: str, start: float, together: Barrier) -> Result:
    r = Result(name)
    tabs: list[Tab] = []
    try:
        await spawn(run, name)
        r.server_s = time.monotonic() - start
        r.server_version = str((await run.client.api("GET", f"/user/{name}/api/") or {}).get("version", "?"))
        if run.local:  # the project's JupyterLab settings reach a hub's single-user server too
            r.errors += [f"its single-user server: {p}" for p in
                         settings_problems(await run.client.api("GET", f"/user/{name}{SETTINGS}"))]
        await open_tabs(run.client, name, run.notebooks, tabs)
        r.ready_s = time.monotonic() - start
        t0 = time.monotonic()
        for tab in tabs[:-1]:  # the notebooks a learner is done with: run, their kernels left open
            r.errors += await run_cells(tab, name)
        r.before_s = time.monotonic() - t0
        await together.wait()
        t0 = time.monotonic()
        r.errors += await run_cells(tabs[-1], name)
        r.run_all_s = time.monotonic() - t0
        if run.local:
            r.held = sum(pss_bytes(p) for p in learner_processes(run.local.run_id).get(name, []))
    finally:
        await close_tabs(run.client, name, tabs)
        await quietly(stop_server(run.client, name), f"stopping {name}'s server")
    return r


async def quietly(work, what: str) -> None:
    """Cleanup that must not hide the error that brought us here: its own error in one line."""
    try:
        await work
    except RuntimeError as e:
        say(f"  {what}: {e}")


# ---------------------------------------------------------------- a room


async def create_users(run: Run, names: list[str]) -> None:
    for name in names:
        if name in run.users:
            continue
        try:
            await run.client.api("POST", f"/hub/api/users/{name}", ok=(201,))
        except HubError as e:
            if e.code != 409:
                raise
            raise RuntimeError(f"the hub already has a user named {name} (left by a rehearsal that was killed?): "
                               f"delete it at {run.client.url}/hub/admin, or pick another --user-prefix") from None
        run.users.append(name)


async def delete_users(run: Run) -> None:
    """Deletes every user this run created (stopping their servers first)."""
    for name in list(run.users):
        await stop_server(run.client, name)
        await run.client.api("DELETE", f"/hub/api/users/{name}", ok=(204, 404))
        run.users.remove(name)


async def settle(run_id: str, names: list[str], limit_s: float = 60) -> None:
    """Waits until every process of these learners has exited (their servers stop after the
    DELETE returns), so the next room does not start on a machine still busy with this one."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and set(names) & set(learner_processes(run_id)):
        await asyncio.sleep(0.25)


async def room(run: Run, names: list[str]) -> tuple[list[Result], dict[str, int] | None, int | None]:
    """N learners at once; returns their results and, on a local hub, the memory sampled."""
    peaks = {name: 0 for name in names}
    total = [0]
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(run.local.run_id, peaks, total, stop)) if run.local else None
    start = time.monotonic()
    together = Barrier(len(names))
    tasks = [asyncio.create_task(learner(run, nm, start, together)) for nm in names]
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
        if sampler:
            await sampler
    if not run.local:
        return results, None, None
    await settle(run.local.run_id, names)
    return results, peaks, total[0]


def summary(n: int, results: list[Result], peaks: dict[str, int] | None, total: int | None) -> dict:
    """One room's row of the table (memory None: not measured)."""
    def med_max(values: list[float]) -> tuple[float, float]:
        return statistics.median(values), max(values)
    row = {"n": n, "failed": sum(len(r.errors) for r in results),
           "mem_max": max(peaks.values(), default=0) if peaks is not None else None,
           "mem_total": total, "held_max": max(r.held for r in results) if peaks is not None else None}
    for key, values in (("server", [r.server_s for r in results]), ("ready", [r.ready_s for r in results]),
                        ("before", [r.before_s for r in results]), ("run", [r.run_all_s for r in results])):
        row[f"{key}_med"], row[f"{key}_max"] = med_max(values)
    return row


# ---------------------------------------------------------------- warming the slots (local hub)


async def warm_slots(run: Run, k: int) -> float:
    """Runs the setup cell in k kernels at once (one learner's server), so that k build slots
    hold the compiled helpers. Returns the seconds it took."""
    name = "warmer"
    await create_users(run, [name])
    await spawn(run, name)
    base = f"/user/{name}"
    setup = (ROOT / "tools" / "setup_cell.rs").read_text()
    t0 = time.monotonic()

    async def one(i: int, before: asyncio.Event | None, started: asyncio.Event):
        if before is not None:
            await before.wait()
        path = f"notebooks/warm{i}.ipynb"
        await run.client.api("PUT", f"{base}/api/contents/{path}", {"type": "notebook", "content": {
            "cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}})
        session = await run.client.api("POST", f"{base}/api/sessions", {
            "path": path, "name": f"warm{i}.ipynb", "type": "notebook", "kernel": {"name": "rust"}})
        cs = uuid.uuid4().hex
        ws = await run.client.websocket(f"{base}/api/kernels/{session['kernel']['id']}/channels?session_id={cs}")
        await kernel_up(run.client, ws, cs, f"warming kernel {i + 1}", f"{base}/api/kernels/{session['kernel']['id']}")
        started.set()  # the next kernel starts only now: never two kernels binding at the same moment
        for attempt in (1, 2):  # evcxr's :cache can trip when kernels build at the same moment
            reply, outputs = await send(ws, cs, f"warming kernel {i + 1}, the setup cell", setup)
            if reply["content"]["status"] == "ok":
                break
            why = first_error(reply, outputs)
            say(f"  the setup cell failed in warming kernel {i + 1} (attempt {attempt}): {why}")
        else:
            raise RuntimeError(f"the setup cell failed twice while warming: {why}")
        return ws, session

    events = [asyncio.Event() for _ in range(k)]
    # All alive at the end, so k distinct slots; the setup cells compile at the same time.
    opened = await asyncio.gather(*(one(i, events[i - 1] if i else None, events[i]) for i in range(k)))
    took = time.monotonic() - t0
    for ws, session in opened:
        ws.close()
        await run.client.api("DELETE", f"{base}/api/sessions/{session['id']}")
    await stop_server(run.client, name)
    await settle(run.local.run_id, [name])
    return took


# ---------------------------------------------------------------- the report


@dataclass
class Setup:
    """What the table's header says: which hub, which notebooks, which machine."""
    hub: str  # e.g. "a local JupyterHub 6.1.1 on 127.0.0.1"
    notebooks: list[str]
    machine: str | None = None  # None: a remote hub, whose machines are not seen from here
    cores: int | None = None
    prep: str = ""
    server_version: str = ""  # the learners' single-user server (jupyter_server)

    @property
    def remote(self) -> bool:
        return self.machine is None


def mib(b: float | None) -> str:
    return NOT_MEASURED if b is None else f"{b / 2**20:,.0f} MiB"


def what_was_run(notebooks: list[str]) -> str:
    *before, last = notebooks
    if not before:
        return f"Each learner opened {last} (one kernel); then all of them pressed Run All on it at once."
    return (f"Each learner opened {' and '.join(notebooks)} at once (a kernel each, as {len(notebooks)} tabs), "
            f"ran {', '.join(before)} top to bottom and left {'its kernel' if len(before) == 1 else 'their kernels'} "
            f"open, then all of them pressed Run All on {last} at once (the Run All column).")


def report(rows: list[dict], setup: Setup) -> str:
    base = rows[0]
    server = f" (learners' servers: jupyter_server {setup.server_version})" if setup.server_version else ""
    where = "; its machines: not seen from here" if setup.remote else f"; this machine: {setup.machine}"
    lines = [
        f"Room rehearsal on {setup.hub}{server}{where}.",
        what_was_run(setup.notebooks),
        f"({setup.prep})",
        "",
        "| learners | per core | server up (median / max) | ready (median / max) | Run All (median / max) | "
        f"× {'alone' if base['n'] == 1 else str(base['n']) + ' learners'} | "
        "memory per learner: peak / held after | memory, all (peak) | cells failed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        per_core = "—" if setup.remote else f"{r['n'] / setup.cores:.1f}"
        memory = NOT_MEASURED if r["mem_max"] is None else f"{mib(r['mem_max'])} / {mib(r['held_max'])}"
        lines.append(
            f"| {r['n']} | {per_core} | {r['server_med']:.1f} s / {r['server_max']:.1f} s | "
            f"{r['ready_med']:.1f} s / {r['ready_max']:.1f} s | "
            f"{r['run_med']:.1f} s / {r['run_max']:.1f} s | ×{r['run_med'] / base['run_med']:.1f} | "
            f"{memory} | {mib(r['mem_total'])} | {r['failed']} |")
    if len(setup.notebooks) > 1:
        lines += ["", f"Running {', '.join(setup.notebooks[:-1])} first (before Run All together, learners "
                  "not waiting for each other), median / max: "
                  + "; ".join(f"{r['n']} learner(s) {r['before_med']:.1f} s / {r['before_max']:.1f} s" for r in rows)
                  + "."]
    return "\n".join(lines + ["", capacity(rows, setup)])


def capacity(rows: list[dict], setup: Setup) -> str:
    """The capacity rule: the largest room for which every learner's Run All (the slowest, not
    the median), in that room and every smaller one, stays within twice the first room's median
    time (one learner alone, by default): a wait a room tolerates. Memory: the largest sampled
    peak of any learner, with a 1.5× margin."""
    base = rows[0]
    fits = 0
    for r in rows:
        if r["run_max"] > 2 * base["run_med"]:
            break
        fits = r["n"]
    first = "one learner alone" if base["n"] == 1 else "the first room"
    if setup.remote:
        return (f"Capacity (this hub): every learner's Run All stays within 2× of {first} up to {fits} "
                f"learner(s) running at once. Memory: {NOT_MEASURED}: watch the hub's machines during a "
                "run (docker stats, kubectl top pods, free -m).")
    per_learner = max(r["mem_max"] for r in rows)
    return (f"Capacity (this machine): every learner's Run All stays within 2× of {first} up to "
            f"{fits / setup.cores:.1f} learners per core when they all run at once; plan "
            f"{mib(per_learner * 1.5)} of memory per learner (the largest sampled peak, {mib(per_learner)}, × 1.5).")


# ---------------------------------------------------------------- the rehearsal


def prepare(args) -> tuple[Run, Setup]:
    spawn_s = args.spawn_timeout_min * 60
    # Every learner polls the hub at once: more connections than tornado's default 10, whose
    # queue would otherwise time requests out in a large room.
    AsyncHTTPClient.configure(None, max_clients=max(20, 4 * max(args.learners)))
    if args.hub_url:
        logs = ("the hub's log says more: sudo journalctl -u jupyterhub on TLJH, "
                "kubectl logs deploy/hub on Kubernetes")
        return (Run(HubClient(args.hub_url, args.token), args.notebooks, spawn_s, logs),
                Setup(f"the JupyterHub at {args.hub_url}", args.notebooks))
    hub = Hub(Path(tempfile.mkdtemp(prefix="lab-room-")), uuid.uuid4().hex[:12])
    logs = f"the hub's log: {hub.run_dir / 'hub.log'}"
    return (Run(hub.client, args.notebooks, spawn_s, logs, local=hub),
            Setup("a local JupyterHub on 127.0.0.1", args.notebooks, machine_line(), usable_cores()))


async def open_hub(run: Run, setup: Setup, kernels: int) -> None:
    """An existing hub: checked. A local one: started, and `kernels` build slots warmed."""
    if not run.local:
        version = await check_hub(run.client)
        setup.hub = f"the JupyterHub {version} at {run.client.url}"
        setup.prep = "prep: none; each learner's server starts as the hub starts it, with what its image holds"
        say(f"{setup.hub}: it answers, and the token may create users, start their servers and reach them")
        return
    hub = run.local
    say(f"machine: {setup.machine}")
    say(f"a local JupyterHub on {hub.url} (files and logs in {hub.run_dir})")
    hub.start(launcher.slots_root())  # the instructor's warm slots, shared by every learner
    setup.hub = f"a local JupyterHub {await hub.wait_up(time.monotonic() + 60)} on 127.0.0.1"
    say(f"warming {kernels} build slot(s) (the setup cell in {kernels} kernel(s) at once)")
    prep_s = await warm_slots(run, kernels)
    setup.prep = f"prep: {prep_s:.0f} s to warm the build slots for {kernels} kernels at once"
    say(f"warm in {prep_s:.0f} s")


async def close_hub(run: Run) -> None:
    """A local hub: stopped, with every process of the run. An existing hub: every user the run
    created deleted, their servers stopped first."""
    if run.local:
        run.local.stop()
        return
    if not run.users:
        return
    say(f"deleting the users it created on the hub ({', '.join(run.users)})")
    try:
        await asyncio.wait_for(delete_users(run), 600)
    except (RuntimeError, asyncio.TimeoutError, asyncio.CancelledError) as e:
        say(f"could not delete {', '.join(run.users)} ({e or type(e).__name__}): "
            f"delete them at {run.client.url}/hub/admin")


async def rooms(run: Run, setup: Setup, args, rows: list[dict]) -> None:
    for n in args.learners:
        names = [f"{args.user_prefix}{i + 1}" for i in range(n)]
        await create_users(run, names)
        say(f"{n} learner(s) open {' + '.join(run.notebooks)} and press Run All on {run.notebooks[-1]} together")
        results, peaks, total = await room(run, names)
        setup.server_version = setup.server_version or results[0].server_version
        rows.append(r := summary(n, results, peaks, total))
        for e in [e for res in results for e in res.errors][:3]:
            say(f"  a cell failed: {e}")
        memory = "" if r["mem_max"] is None else f", {mib(r['mem_max'])} per learner at most"
        before = f"first {r['before_med']:.1f} s, " if len(run.notebooks) > 1 else ""
        say(f"  ready {r['ready_med']:.1f} s (max {r['ready_max']:.1f}), {before}Run All {r['run_med']:.1f} s "
            f"(max {r['run_max']:.1f}){memory}, {r['failed']} failed cells")


async def main_async(args) -> int:
    run, setup = prepare(args)
    rows: list[dict] = []
    try:
        await open_hub(run, setup, max(args.learners) * len(args.notebooks))
        await rooms(run, setup, args, rows)
    except Exception:
        if run.local:  # CI keeps nothing but what is printed: the end of the hub's log, for the next reader
            tail = (run.local.run_dir / "hub.log").read_text(errors="replace").splitlines()[-40:]
            print("the end of the hub's log:\n" + "\n".join("    " + line for line in tail), flush=True)
        raise
    finally:
        await close_hub(run)
        if rows and len(rows) < len(args.learners):
            print("\nThe rooms measured before it stopped:\n" + report(rows, setup))
    text = report(rows, setup)
    print("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    say(f"written to {args.out}")
    if run.local and not args.keep:
        shutil.rmtree(run.local.run_dir, ignore_errors=True)
    failed = sum(r["failed"] for r in rows)
    if failed:
        say(f"error: {failed} cell(s) failed in the learners' kernels (above): the room would see them too")
        return 1
    return 0


# ---------------------------------------------------------------- the command line


def hub_address(url: str) -> str | None:
    """The hub's base address from what an instructor pastes (a trailing slash, .../hub/home);
    None if it is not an http(s) address."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    path = re.sub(r"/hub(/.*)?$", "", parts.path.rstrip("/"))
    return f"{parts.scheme}://{parts.netloc}{path}"


def check_hub_args(p: argparse.ArgumentParser, args) -> None:
    if args.token and not args.hub_url:
        p.error("--token goes with --hub-url (an existing hub); without --hub-url the rehearsal "
                "starts its own hub, with its own token")
    args.token = args.token or os.environ.get("LAB_HUB_TOKEN", "")
    if args.hub_url is None:
        return
    address = hub_address(args.hub_url)
    if address is None:
        p.error(f"--hub-url: {args.hub_url!r} is not an http(s) address like https://hub.example.org")
    args.hub_url = address
    if not args.token:
        p.error(f"--hub-url needs --token (or LAB_HUB_TOKEN): an API token with the scopes {', '.join(HUB_SCOPES)}")
    if not re.fullmatch(r"[a-z][a-z0-9-]*", args.user_prefix):
        p.error(f"--user-prefix: {args.user_prefix!r} must be lowercase letters, digits and dashes")


def check_notebooks(p: argparse.ArgumentParser, args) -> None:
    if args.notebook and args.notebooks:
        p.error("give --notebook or --notebooks, not both (--notebook X is --notebooks X)")
    flag = "--notebook" if args.notebook else "--notebooks"
    names = [n.strip().removesuffix(".ipynb") for n in (args.notebook or args.notebooks or "00-start-here").split(",")]
    names = [n for n in names if n]
    if not names or len(set(names)) != len(names):
        p.error(f"{flag}: each notebook once (two tabs on one notebook share its kernel)")
    for name in names:
        if not (ROOT / "notebooks" / f"{name}.ipynb").is_file():
            known = ", ".join(sorted(q.stem for q in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")))
            p.error(f"{flag}: no notebooks/{name}.ipynb (one of: {known})")
    args.notebooks = names


def check_learners(p: argparse.ArgumentParser, args) -> None:
    try:
        args.learners = sorted({int(x) for x in args.learners.split(",")})
    except ValueError:
        p.error(f"--learners takes numbers like 1,2,4,8, not {args.learners!r}")
    if args.hub_url:
        limit, why = 1000, ""
    else:
        slots, per = launcher.slot_count(), len(args.notebooks)
        limit = slots // per
        why = (f": every kernel on this machine needs one of the kernel launcher's {slots} build slots, and "
               f"each learner opens {per} (LAB_KERNEL_SLOTS=16 ./lab.sh rehearse ... for more)")
    if not args.learners or min(args.learners) < 1 or max(args.learners) > limit:
        p.error(f"--learners: each room size must be between 1 and {limit}{why}")


def check_here(p: argparse.ArgumentParser, args) -> None:
    """What this machine needs: the Python packages; for a local hub, JupyterHub, its proxy, Linux."""
    if jupyter_data_dir is None:
        p.error("the rehearsal's Python packages are missing: run it as ./lab.sh rehearse, which installs them")
    if args.hub_url:
        return
    if not (VENV_BIN / "jupyterhub").exists() or not PROXY.exists():
        p.error("JupyterHub or its proxy is not installed: run ./lab.sh rehearse (it installs them)")
    if not Path("/proc/self/smaps_rollup").exists():
        p.error("a local hub's learners are read from Linux's /proc: run it on the Linux server you will "
                "teach on, or drive your hub from here with --hub-url")


def parse(argv: list[str]):
    p = argparse.ArgumentParser(
        prog="./lab.sh rehearse", description="\n\n".join(__doc__.split("\n\n")[:3]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="A local hub needs Linux, Rust, Python 3.10+ and Node.js 20+ with npm; ./lab.sh installs the rest.\n"
               "An existing hub (--hub-url) needs only Python here: the users rehearse-1, rehearse-2, ...\n"
               "are created on it, and deleted at the end, with the token's scopes\n"
               f"({', '.join(HUB_SCOPES)}; an admin's token from <hub>/hub/token has them).\n"
               "The table is printed and written to reports/room-rehearsal.md (--out).\n"
               "More than 8 kernels on a local hub: LAB_KERNEL_SLOTS=32 ./lab.sh rehearse --learners 8,16,30\n"
               "(about 1 GiB of memory per kernel).\n"
               "How to read the table: docs/instructor.md, 'A room on one server, and beyond'.")
    p.add_argument("--learners", default="1,2,4,8",
                   help="room sizes to try in turn, comma-separated (default 1,2,4,8)")
    p.add_argument("--notebooks", metavar="NB[,NB...]",
                   help="the notebooks each learner opens at once, a kernel each (default 00-start-here): "
                        "every one but the last is run first and its kernel left open, then all learners "
                        "press Run All on the last together, e.g. 00-start-here,08-when-to-use-what")
    p.add_argument("--notebook", metavar="NB", help="one notebook: the same as --notebooks NB")
    p.add_argument("--hub-url", metavar="URL",
                   help="rehearse on an existing JupyterHub, the address learners open "
                        "(https://hub.example.org): nothing is installed or started here")
    p.add_argument("--token", help="with --hub-url: an API token of that hub with the scopes "
                   f"{', '.join(HUB_SCOPES)}; or set LAB_HUB_TOKEN (kept out of the shell's history)")
    p.add_argument("--user-prefix", default="rehearse-",
                   help="with --hub-url: the learners' user names, then 1, 2, ... (default rehearse-)")
    p.add_argument("--spawn-timeout-min", type=float, default=10,
                   help="how long one learner's server may take to start (default 10: a hub pulling "
                        "a large image for the first time takes minutes)")
    p.add_argument("--timeout-min", type=float, default=45, help="stop everything after this long (default 45)")
    p.add_argument("--out", type=Path, default=ROOT / "reports" / "room-rehearsal.md",
                   help="where the table is written (default reports/room-rehearsal.md)")
    p.add_argument("--keep", action="store_true", help="a local hub: keep its temporary folder (logs, homes)")
    args = p.parse_args(argv)
    check_hub_args(p, args)
    check_notebooks(p, args)
    check_learners(p, args)
    check_here(p, args)
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
        say(f"stopped (Ctrl-C, a closed terminal, or --timeout-min {args.timeout_min:g} ran out): "
            "what it started is stopped, what it created deleted")
        return 1
    except Exception as e:  # one line, never a traceback: the hub's log has the details
        say(f"error: {type(e).__name__}: {e}" if not isinstance(e, RuntimeError) else f"error: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
