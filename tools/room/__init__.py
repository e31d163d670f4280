"""The room rehearsal: simulated learners on a JupyterHub, to size a room (docs/instructor.md).

Run from the repository's root as `python -m tools.room.rehearse` (what `./lab.sh rehearse`
does). Its parts, each importing only those above it:

    machine.py   this machine: its cores, how busy it is, the processes of a run and the
                 memory they hold (from /proc)
    hubapi.py    a hub's REST API, and learners' servers behind its proxy, with one token
    hub.py       a JupyterHub on this machine: its config, its process, its cleanup
    kernel.py    a notebook open in a learner's server: its kernel, spoken to over the
                 server's websocket in messages built by jupyter_client's Session
    report.py    what was measured, and the capacity table
    run.py       one rehearsal: the hub opened, build slots warmed, each room of learners
    rehearse.py  the command line (its --help needs only Python's standard library)

tools/room/requirements.txt pins JupyterHub, package.json its proxy (installed with npm into
node_modules/ by ./lab.sh rehearse).
"""
from __future__ import annotations

import sys
from pathlib import Path

# Where ./lab.sh installs the hub: JupyterHub into the Python environment this runs in, its
# proxy with npm beside this file.
VENV_BIN = Path(sys.executable).parent
PROXY = Path(__file__).resolve().parent / "node_modules" / ".bin" / "configurable-http-proxy"
# What the rehearsal's token must be allowed: create and delete users, start and stop their
# servers, and reach those servers (contents, sessions, kernels) through the proxy.
HUB_SCOPES = ("admin:users", "servers", "access:servers")


def say(message: str) -> None:
    print(f"\033[1m[room]\033[0m {message}", flush=True)
