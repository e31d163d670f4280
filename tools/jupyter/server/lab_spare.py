"""Warm spare `rust` kernels for JupyterLab: a kernel manager that keeps N kernels started in
the background, with the notebooks' setup cell and a first variable already run, and hands
one to the next notebook that opens.

Set as the server's kernel manager by ./lab.sh setup (tools/jupyter/jupyter_server_config.json,
copied into .venv/etc/jupyter/, with lab_spare.pth making this folder importable), so every
route gets it: ./lab.sh start, the image's CMD, ./lab.sh singleuser behind a hub.

    c.SpareKernelManager.spares = 1        how many spares to keep (0: none, the plain manager)
                                           default: $LAB_SPARE_KERNELS, else 1
    c.SpareKernelManager.refill_delay = 10 seconds between taking a spare and starting the
                                           next one (the learner's first cells go first)

How it works. A spare is a kernel of the `rust` kernelspec started in `<root>/notebooks`
(the folder the series lives in, on every route) and kept *outside* the server's kernel map,
so JupyterLab does not list it and the culler does not see it. It runs the setup cell
(tools/setup_cell.rs), then one cell that binds a variable and moves it away again, which
makes evcxr's rust-analyzer load the crates the prelude names (the 2.5 s a learner otherwise
pays in the first cell with a `let`) and leaves no variable behind. When a session asks for
a `rust` kernel and everything below holds, the spare is put into the map under a new id
and returned, and a new spare starts `refill_delay` seconds later:

  - the kernel is to run in the spare's folder (a notebook of the series, not elsewhere);
  - the notebook's first code cell is the setup cell the spare ran;
  - helpers/ (its sources, Cargo files) and the Cargo.lock have not changed since the
    spare started (sizes and modification times, what cargo itself looks at);
  - the spare is alive and its warm-up succeeded (a spare still warming is waited for);
  - no other notebook took it a moment ago.

Otherwise the kernel starts as it always did, and the server's log says why in one line.
The notebook's own setup cell then runs again in the spare: `:dep` with the same path is a
no-op in evcxr, `use` is re-added, `lab::ready()` prints the same notes; the cell answers in
well under a second. What differs from a fresh kernel: the prompt numbers start higher
(evcxr counts the spare's two cells), and a cell run *before* the setup cell finds the
helpers loaded instead of failing.

A restart (Kernel → Restart) is a normal restart: jupyter_server restarts a kernel in place,
on the same ports, with JupyterLab's open websocket still connected to them; a spare's
process listens on its own ports, so handing it over would mean rewiring a live connection.
"""
from __future__ import annotations

import asyncio
import atexit
import json
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_server._tz import utcnow
from jupyter_server.prometheus.metrics import KERNEL_CURRENTLY_RUNNING_TOTAL
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.ioloop import IOLoop
from traitlets import Float, Integer, Unicode, default

ROOT = Path(__file__).resolve().parents[3]
SETUP_CELL = ROOT / "tools" / "setup_cell.rs"
# Binds a variable (rust-analyzer infers its type: the first such question loads every crate
# the prelude names) and moves it in the same cell, so evcxr keeps no variable.
FIRST_VARIABLE = "let lab_spare_warm_up = String::new();\ndrop(lab_spare_warm_up);"
ENV = "LAB_SPARE_KERNELS"
LOG = "[lab spare]"


def sources_stamp(cwd: Path) -> str | None:
    """What a spare's build depends on, seen from its folder: every file of ../helpers
    (without target/) and the workspace's Cargo.lock, by size and modification time. None
    when there is no ../helpers (the setup cell would fail there)."""
    helpers = (cwd / ".." / "helpers").resolve()
    if not (helpers / "Cargo.toml").is_file():
        return None
    parts = []
    files = [p for p in helpers.rglob("*") if "target" not in p.relative_to(helpers).parts]
    files.append(helpers.parent / "Cargo.lock")
    for p in sorted(files):
        try:
            st = p.stat()
        except OSError:
            continue
        if p.is_file():
            parts.append(f"{p}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


def first_code_cell(notebook: Path) -> str | None:
    try:
        nb = json.loads(notebook.read_text())
    except (OSError, ValueError):
        return None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            return "".join(src) if isinstance(src, list) else src
    return None


@dataclass
class Spare:
    kernel_id: str
    km: object
    cwd: str
    stamp: str
    setup: str
    started: float = field(default_factory=time.monotonic)
    warm: asyncio.Task | None = None


class SpareKernelManager(AsyncMappingKernelManager):
    """The server's kernel manager, with warm spare `rust` kernels (see the module's doc)."""

    spares = Integer(help="How many warm spare kernels to keep (0: none). Default: $LAB_SPARE_KERNELS, else 1.",
                     config=True)
    spare_kernel_name = Unicode("rust", help="The kernelspec the spares run.", config=True)
    spare_folder = Unicode("notebooks", help="API path (from the server's root) the spares run in.", config=True)
    refill_delay = Float(10.0, help="Seconds between taking a spare and starting the next one.", config=True)
    warm_timeout = Float(600.0, help="Seconds a spare may take to start and run its warm-up.", config=True)

    @default("spares")
    def _default_spares(self):
        raw = os.environ.get(ENV, "1")
        try:
            return max(0, int(raw))
        except ValueError:
            self.log.warning("%s %s=%r is not a number; keeping 1 spare kernel", LOG, ENV, raw)
            return 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._spares: list[Spare] = []
        self._refill: asyncio.TimerHandle | None = None
        self._failed_stamp: str | None = None  # a warm-up that failed: not retried until helpers change
        self._why_none = "the spare is still starting"  # why no spare is waiting, when none is
        self._closing = False
        self._filling: asyncio.Future | None = None  # starting spares: awaited before the server stops
        self._starting = None  # the kernel manager of the spare being started, if any
        atexit.register(self._stop_at_exit)
        if self.spares > 0:
            IOLoop.current().add_callback(self.fill)  # once the server's loop runs
        else:
            self.log.info("%s spare kernels are off (spares = 0)", LOG)

    # ------------------------------------------------------------------ making spares

    def spare_cwd(self) -> str:
        return self.cwd_for_path(self.spare_folder)

    def fill(self, delay: float = 0.0) -> None:
        """Starts spares (after `delay` seconds) until there are `spares` of them."""
        if self._closing or self.spares <= 0:
            return
        if self._refill is not None:
            self._refill.cancel()
        loop = asyncio.get_event_loop()
        self._refill = loop.call_later(delay, self._fill_now)

    def _fill_now(self) -> None:
        self._refill = None
        if self._filling is None or self._filling.done():
            self._filling = asyncio.ensure_future(self._fill_loop())

    async def _fill_loop(self) -> None:
        while not self._closing and len(self._spares) < self.spares:
            cwd = self.spare_cwd()
            stamp = sources_stamp(Path(cwd))
            if stamp is None:
                self._why_none = f"{cwd} has no ../helpers, so no spare is kept there"
                return
            if stamp == self._failed_stamp:
                return  # said once already, when it failed
            try:
                setup = SETUP_CELL.read_text().strip()
            except OSError as e:
                self._why_none = f"cannot read {SETUP_CELL} ({e.strerror})"
                return
            self._why_none = "the spare is still starting"
            try:
                km, _, kernel_id = self.pre_start_kernel(self.spare_kernel_name, {})
                self._starting = km
                await km.start_kernel(**self._kernel_start_kwargs(kernel_id=kernel_id, cwd=cwd))
            except Exception as e:
                self._why_none = f"a spare kernel could not start ({str(e)[:200]})"
                self.log.warning("%s %s", LOG, self._why_none)
                self._failed_stamp = stamp
                return
            finally:
                self._starting = None
            km.stop_restarter()  # a spare that dies is dropped, never restarted unwarmed
            spare = Spare(kernel_id, km, cwd, stamp, setup)
            if self._closing:  # the server stopped while this one started
                await self._discard(spare)
                return
            spare.warm = asyncio.ensure_future(self._warm_up(spare))
            self._spares.append(spare)
            self.log.info("%s spare kernel %s started, warming up", LOG, kernel_id)

    async def _warm_up(self, spare: Spare) -> None:
        """Runs the warm-up cells, watching the kernel: raises with one line if it fails or dies."""
        work = asyncio.ensure_future(self._run_cells(spare))
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=1.0)
                if not work.done() and not await spare.km.is_alive():
                    raise RuntimeError("the spare kernel died while warming up")
            work.result()
        finally:
            work.cancel()
        self.log.info("%s spare kernel %s ready in %.1f s (%s)", LOG, spare.kernel_id,
                      time.monotonic() - spare.started, spare.cwd)

    async def _run_cells(self, spare: Spare) -> None:
        """The setup cell, then the first variable, as a notebook runs them."""
        client = spare.km.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=self.warm_timeout)
            for code in (spare.setup, FIRST_VARIABLE):
                problem = []

                def output(msg, problem=problem):
                    kind, content = msg["msg_type"], msg["content"]
                    if kind == "error":
                        problem.append(f"{content['ename']}: {content['evalue']}"[:200])
                    elif kind == "stream" and "panicked at" in content.get("text", ""):
                        problem.append(content["text"].strip().splitlines()[0][:200])

                reply = await client.execute_interactive(code, timeout=self.warm_timeout, output_hook=output,
                                                         allow_stdin=False)
                if reply["content"]["status"] != "ok" or problem:
                    first = code.splitlines()[0]
                    raise RuntimeError(f"its cell {first!r} failed: {problem[0] if problem else reply['content']['status']}")
        finally:
            client.stop_channels()

    # ------------------------------------------------------------------ taking one

    async def _take(self, kernel_name: str | None, path, kwargs: dict) -> tuple[Spare | None, str | None]:
        """The spare for this request, or why not (None when no spare was asked for at all)."""
        if (kernel_name or self.default_kernel_name) != self.spare_kernel_name or self.spares <= 0:
            return None, None
        cwd = self.cwd_for_path(path) if path is not None else self.root_dir
        if cwd != self.spare_cwd():
            return None, f"the kernel runs in {cwd}, not in {self.spare_cwd()}"
        if not self._spares:
            return None, self._why_none
        spare = self._spares.pop(0)
        self._why_none = "another notebook took the spare a moment ago (the next one is starting)"
        why = None
        env = kwargs.get("env") or {}
        notebook = env.get("JPY_SESSION_NAME", "")
        if not notebook.endswith(".ipynb"):
            why = "the request names no notebook"
        elif (first_code_cell(Path(notebook)) or "").strip() != spare.setup:
            why = f"{Path(notebook).name}'s first code cell is not the setup cell the spare ran"
        elif sources_stamp(Path(spare.cwd)) != spare.stamp:
            why = "helpers/ or Cargo.lock changed since the spare started"
        else:
            try:
                await asyncio.shield(spare.warm)
            except Exception as e:
                why = f"the spare's warm-up failed ({str(e) or type(e).__name__})"
                if not await spare.km.is_alive():
                    why = "the spare kernel died while warming up"
                else:  # the same helpers would fail the same way: no more spares until they change
                    self._failed_stamp = spare.stamp
                    self._why_none = why
            else:
                if not await spare.km.is_alive():
                    why = "the spare kernel had died"
        if why is not None:
            asyncio.ensure_future(self._discard(spare))
            return None, why
        return spare, None

    async def _async_start_kernel(self, *, kernel_id=None, path=None, **kwargs):
        if kernel_id is not None:  # an existing kernel, or an id the client chose: as usual
            return await super()._async_start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        spare, why = await self._take(kwargs.get("kernel_name"), path, kwargs)
        self.fill(self.refill_delay)
        if spare is None:
            if why is not None:
                self.log.info("%s a normal start for this notebook: %s", LOG, why)
            return await super()._async_start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        self._adopt(spare, kwargs.get("env"))
        self.log.info("%s notebook got spare kernel %s (started %.0f s ago)", LOG, spare.kernel_id,
                      time.monotonic() - spare.started)
        return spare.kernel_id

    start_kernel = _async_start_kernel

    def _adopt(self, spare: Spare, env: dict | None) -> None:
        """What the base class does for a kernel it has just started, for the spare."""
        km, kernel_id = spare.km, spare.kernel_id
        if env:
            km.update_env(env=env)  # what a restart of this kernel will see (the session's variables)
        km.start_restarter()
        self._kernels[kernel_id] = km
        self._kernel_connections[kernel_id] = 0
        km.execution_state = "idle"
        km.reason = ""
        km.last_activity = utcnow()
        self._kernel_ports[kernel_id] = km.ports
        self.start_watching_activity(kernel_id)
        self.add_restart_callback(kernel_id, lambda: self._handle_kernel_died(kernel_id), "dead")
        KERNEL_CURRENTLY_RUNNING_TOTAL.labels(type=km.kernel_name).inc()
        if not self._initialized_culler:
            self.initialize_culler()

    # ------------------------------------------------------------------ stopping

    async def _discard(self, spare: Spare) -> None:
        if spare.warm is not None and not spare.warm.done():
            spare.warm.cancel()
        try:
            await spare.km.shutdown_kernel(now=True)
        except Exception as e:  # already gone
            self.log.debug("%s spare %s: %s", LOG, spare.kernel_id, e)

    async def _async_shutdown_all(self, now=False):
        self._closing = True
        if self._refill is not None:
            self._refill.cancel()
        if self._filling is not None:
            # A spare being started now is shut down as soon as its process is there (a
            # kernel runs in a session of its own: the server's end would not stop it).
            await asyncio.wait([self._filling], timeout=self.kernel_info_timeout)
        spares, self._spares = self._spares, []
        await asyncio.gather(*(self._discard(s) for s in spares), return_exceptions=True)
        await super()._async_shutdown_all(now=now)

    shutdown_all = _async_shutdown_all

    def _stop_at_exit(self) -> None:
        """When the server's process ends without shutting its spares down (a stop signal that
        arrives while it is still starting can end it before its kernels are shut down), they
        would outlive it: kernels run in sessions of their own. Their processes get SIGTERM."""
        kms = [s.km for s in self._spares] + ([self._starting] if self._starting is not None else [])
        for km in kms:
            pid = getattr(km.provisioner, "pid", None) if km.provisioner is not None else None
            if pid:
                try:
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
