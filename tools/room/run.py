"""One rehearsal: the hub opened (an existing one checked, or a local one started and its
build slots warmed), then each room: N learners spawned at once, their notebooks opened, and
Run All pressed together; everything it started stopped, everything it created deleted."""
from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient

from tools.kernel import launcher
from tools.room import say
from tools.room.hub import Hub
from tools.room.hubapi import HubClient, HubError, check_hub, spawn_failure, stop_server
from tools.room.kernel import Tab, close_tabs, first_error, kernel_up, new_session, open_tabs, run_cells, send
from tools.room.machine import learner_processes, machine_line, pss_bytes, sample_memory, usable_cores
from tools.room.report import Result, Setup, mib, report, summary
from tools.start_check import SETTINGS, settings_problems

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    """What every learner needs: the hub, what to open, and how long a spawn may take."""
    client: HubClient
    notebooks: list[str]
    spawn_timeout_s: float
    logs: str  # where to look when a server does not start
    local: Hub | None = None  # the hub this run started (memory is sampled from its processes)
    users: list[str] = field(default_factory=list)  # the users it created, deleted at the end


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
        cs = new_session()
        ws = await run.client.websocket(f"{base}/api/kernels/{session['kernel']['id']}/channels?session_id={cs.session}")
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
