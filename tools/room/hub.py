"""A JupyterHub on this machine, on 127.0.0.1 only, with no logins (only the rehearsal's own
API token gets in): its config, its process (and its proxy's), and a cleanup that stops
every process of the run, whatever the hub lost track of."""
from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir

from tools.kernel import launcher
from tools.room import HUB_SCOPES, PROXY, VENV_BIN
from tools.room.hubapi import HubClient
from tools.room.machine import RUN_MARK, learner_processes

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
            # Each learner's server keeps a warm spare kernel unless the instructor runs the
            # rehearsal with LAB_SPARE_KERNELS=0, as they will teach (docs/instructor.md).
            "LAB_SPARE_KERNELS": os.environ.get("LAB_SPARE_KERNELS", "1"),
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
