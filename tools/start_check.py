"""Starts JupyterLab the way a route of this project does, and checks it works end to end.

A *route* is a command a person is told to run: `./lab.sh start` (the README), the workshop
image's CMD (the Dockerfile), a user's own options. `check_route` runs the command exactly as
given, in its own process group, then, as a browser and a learner would:

    1. waits for the server (its runtime file gives the port: the command chooses it) and
       asks `/api/status` with the token;
    2. reads the project's JupyterLab settings back (no news popup, no update check);
    3. opens notebooks/00-start-here.ipynb's session with a `rust` kernel (the REST API, as
       JupyterLab does, so the kernel runs in notebooks/ and finds ../helpers);
    4. runs the notebooks' setup cell (tools/setup_cell.rs) over the kernel's websocket,
       then one line that calls the helper crate;
    5. stops everything: the kernel through the API, then the server's process group
       (SIGTERM, then SIGKILL), and checks that nothing of it is left.

Any failure is one line naming the route: `RouteBroke("image CMD: ...")`.

The token is given to the server through JUPYTER_TOKEN and its runtime files go to a fresh
JUPYTER_RUNTIME_DIR, so the command line stays exactly the route's. Used by
tools/test_start.py and tools/image/rehearse_build.py; the room rehearsal uses its settings
check. Run alone, from the repository's root:

    .venv/bin/python -m tools.start_check -- ./lab.sh start --no-browser

Standard library only at import (the room rehearsal's --help runs with any Python).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tools.evcxr import panic_in

ROOT = Path(__file__).resolve().parent.parent
SETUP_CELL = (ROOT / "tools" / "setup_cell.rs").read_text()
NOTEBOOK = "notebooks/00-start-here.ipynb"
SETTINGS = "/lab/api/settings/@jupyterlab/apputils-extension:notification"


class RouteBroke(Exception):
    """One line: which route broke, and how."""


def image_cmd(dockerfile: Path = ROOT / "Dockerfile") -> list[str]:
    """The Dockerfile's CMD, in its JSON (exec) form."""
    for line in dockerfile.read_text().splitlines():
        if line.startswith("CMD "):
            return json.loads(line[4:])
    raise RouteBroke(f"{dockerfile}: no CMD line in exec form (CMD [\"...\"])")


def settings_problems(settings: dict) -> list[str]:
    """The project's JupyterLab settings (tools/jupyter/, installed into .venv/etc/jupyter),
    as a server's settings API reports them: no news popup, no update check. Our overrides
    become the schema's defaults (a user may still change them)."""
    defaults = {k: v.get("default") for k, v in settings["schema"]["properties"].items()}
    if defaults.get("fetchNews") == "false" and defaults.get("checkForUpdates") is False:
        return []
    return ["the project's JupyterLab settings are not applied (fetchNews="
            f"{defaults.get('fetchNews')!r}, checkForUpdates={defaults.get('checkForUpdates')!r})"]


def _call(method: str, url: str, token: str, body: dict | None = None, timeout: float = 60) -> dict:
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as reply:
        raw = reply.read()
        return json.loads(raw) if raw else {}


def _server_info(runtime: Path) -> dict | None:
    for f in sorted(runtime.glob("jpserver-*.json")):
        try:
            return json.loads(f.read_text())
        except (OSError, ValueError):
            continue  # being written
    return None


async def _run_cell(ws_url: str, token: str, code: str, limit_s: float) -> tuple[str, str]:
    """Runs `code` on the kernel behind `ws_url`; returns (reply status, everything it printed)."""
    from jupyter_client.jsonutil import json_default
    from jupyter_client.session import Session
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    session = Session(key=b"", username="route-check")
    ws = await websocket_connect(HTTPRequest(f"{ws_url}?session_id={session.session}",
                                             headers={"Authorization": f"token {token}"}))
    try:
        async def ask(kind: str, content: dict) -> tuple[dict, list[str]]:
            msg = session.msg(kind, content)
            msg["channel"] = "shell"
            await ws.write_message(json.dumps(msg, default=json_default))
            reply, idle, printed = None, False, []
            while reply is None or not idle:
                raw = await ws.read_message()
                if raw is None:
                    raise RouteBroke("the kernel's websocket closed (did the kernel die?)")
                m = json.loads(raw)
                if m.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
                    continue
                t = m["header"]["msg_type"]
                if m["channel"] == "shell":
                    reply = m
                elif t == "status":
                    idle = m["content"]["execution_state"] == "idle"
                elif t == "stream":
                    printed.append(m["content"]["text"])
                elif t == "error":
                    printed.append(f"{m['content']['ename']}: {m['content']['evalue']}")
            return reply, printed

        async def run(source: str) -> tuple[str, str]:
            reply, printed = await ask("execute_request", {
                "code": source, "silent": False, "store_history": True,
                "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
            return reply["content"]["status"], "".join(printed)

        async def both():
            await ask("kernel_info_request", {})
            status, printed = await run(code)
            if status == "ok":  # the helpers are loaded and answer (the setup cell may print nothing)
                status, more = await run('println!("lab answers: {} cores", lab::scenarios::cores());')
                printed += more
            return status, printed

        return await asyncio.wait_for(both(), limit_s)
    except asyncio.TimeoutError:
        raise RouteBroke(f"the setup cell did not answer in {limit_s:.0f} s") from None
    finally:
        ws.close()


def _stop(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def check_route(route: str, cmd: list[str], cwd: Path = ROOT, env: dict | None = None,
                expect_ip: str | None = None, run_setup_cell: bool = True,
                start_limit_s: float = 180, cell_limit_s: float = 600,
                user: str | None = None) -> dict:
    """Starts `cmd` in `cwd` with `env` (as `user` if given: the image's learner; needs root)
    and checks it as the module docstring says. Returns seconds: start (until /api/status
    answers), kernel (until the setup cell's reply), stop. Raises RouteBroke."""
    token = secrets.token_hex(16)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="lab-route-") as tmp:
        runtime = Path(tmp) / "runtime"
        runtime.mkdir()
        os.chmod(tmp, 0o755)
        os.chmod(runtime, 0o777)  # the route may run as another user (the image's learner)
        run_env = dict(os.environ if env is None else env)
        run_env.update(JUPYTER_TOKEN=token, JUPYTER_RUNTIME_DIR=str(runtime))
        log = open(Path(tmp) / "server.log", "w+b")
        t0 = time.monotonic()
        as_user = {} if user is None else {"user": user, "group": user, "extra_groups": []}
        server = subprocess.Popen(cmd, cwd=cwd, env=run_env, stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True, **as_user)

        def broke(why: str) -> RouteBroke:
            log.seek(0)
            lines = [ln for ln in log.read().decode(errors="replace").splitlines() if ln.strip()]
            last = f" (its last line: {lines[-1].strip()[:200]})" if lines else ""
            return RouteBroke(f"{route}: {why}{last}; the command: {' '.join(cmd)}")

        try:
            info = None
            while info is None:
                if server.poll() is not None:
                    raise broke(f"JupyterLab exited with code {server.returncode} before answering")
                if time.monotonic() - t0 > start_limit_s:
                    raise broke(f"JupyterLab did not start in {start_limit_s:.0f} s")
                info = _server_info(runtime)
                time.sleep(0.2)
            base = f"http://127.0.0.1:{info['port']}{info.get('base_url', '/')}".rstrip("/")
            while True:
                try:
                    _call("GET", f"{base}/api/status", token, timeout=10)
                    break
                except (OSError, ValueError):
                    if server.poll() is not None or time.monotonic() - t0 > start_limit_s:
                        raise broke("/api/status never answered") from None
                    time.sleep(0.2)
            timings["start_s"] = time.monotonic() - t0
            if expect_ip is not None and info.get("hostname") != expect_ip:
                raise broke(f"listening on {info.get('hostname')!r}, not {expect_ip!r}")
            try:
                problems = settings_problems(_call("GET", f"{base}{SETTINGS}", token))
            except (OSError, ValueError, KeyError) as e:
                raise broke(f"the settings API did not answer ({e})") from None
            if problems:
                raise broke(problems[0])
            if run_setup_cell:
                t1 = time.monotonic()
                try:
                    session = _call("POST", f"{base}/api/sessions", token, {
                        "path": NOTEBOOK, "name": Path(NOTEBOOK).name, "type": "notebook",
                        "kernel": {"name": "rust"}})
                except urllib.error.HTTPError as e:
                    raise broke(f"no rust kernel started (HTTP {e.code}: {e.read().decode()[:200]})") from None
                kernel = session["kernel"]["id"]
                ws = base.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels"
                try:
                    status, printed = asyncio.run(_run_cell(ws, token, SETUP_CELL, cell_limit_s))
                except RouteBroke as e:
                    raise broke(str(e)) from None
                if status != "ok" or panic_in(printed) or "lab answers" not in printed:
                    first = next((ln for ln in printed.splitlines() if ln.strip()), "no output")
                    raise broke(f"the setup cell failed ({status}): {first[:200]}")
                timings["kernel_s"] = time.monotonic() - t1
                _call("DELETE", f"{base}/api/sessions/{session['id']}", token)
        finally:
            t2 = time.monotonic()
            _stop(server)
            timings["stop_s"] = time.monotonic() - t2
            log.close()
        if _group_alive(server.pid):
            os.killpg(server.pid, signal.SIGKILL)
            raise RouteBroke(f"{route}: processes of the server were still running after it stopped")
    return timings


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.start_check", description=__doc__.split("\n\n")[0],
                                usage="%(prog)s [--route NAME] [--ip IP] -- COMMAND...")
    p.add_argument("--route", metavar="NAME", help="what its messages call the route (default: the command)")
    p.add_argument("--ip", metavar="IP", help="the address the server must listen on")
    p.add_argument("command", nargs="+", metavar="COMMAND", help="the route's command, after --")
    args = p.parse_args(argv)
    route = args.route or " ".join(args.command)
    try:
        t = check_route(route, args.command, expect_ip=args.ip)
    except RouteBroke as e:
        print(f"[lab] route broke: {e}", file=sys.stderr)
        return 1
    print(f"[lab] route works: {route} (up in {t['start_s']:.1f} s, setup cell answered "
          f"{t['kernel_s']:.1f} s later, stopped in {t['stop_s']:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
