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
import importlib.util
import os
import re
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

from tools.kernel import launcher  # standard library only, as is everything imported here
from tools.room import HUB_SCOPES, PROXY, VENV_BIN, say

ROOT = Path(__file__).resolve().parents[2]


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
    if any(importlib.util.find_spec(m) is None for m in ("jupyter_client", "jupyter_core", "tornado")):
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
    from tools.room.run import main_async  # the Python packages: not needed for --help or a wrong argument

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
