"""A notebook open in a learner's server, as JupyterLab opens it: loaded through the contents
API, its kernel started through the sessions API, then spoken to over the kernel's websocket
(the server's JSON protocol), through the hub's proxy as in a browser."""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session

from tools.evcxr import panic_in
from tools.room import say
from tools.room.hubapi import HubClient, HubError

CELL_LIMIT_S = 600  # one cell, however loaded the machine: past it, the room is called failed
KERNEL_INFO_TRY_S = 60  # one kernel_info_request; unanswered, it is sent again (JupyterLab retries too)


def new_session() -> Session:
    """A learner's side of one kernel connection: jupyter_client's Session builds each message
    (ids, the date, the protocol version jupyter_client speaks). Over a server's websocket,
    messages travel as JSON without a signature (the server signs what it passes on to the
    kernel with its own key), so this one has no key."""
    return Session(key=b"", username="learner")


def message(kind: str, content: dict, session: Session) -> tuple[str, str]:
    """A request on the shell channel, as the websocket's JSON; returns (its msg_id, the text)."""
    msg = session.msg(kind, content)
    msg["channel"] = "shell"
    return msg["header"]["msg_id"], json.dumps(msg, default=json_default)


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


async def send(ws, session: Session, who: str, code: str | None = None) -> tuple[dict, list[dict]]:
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


async def kernel_up(client: HubClient, ws, session: Session, who: str, kernel_url: str) -> None:
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


@dataclass
class Tab:
    """One open notebook: its code cells and its kernel's websocket."""
    notebook: str
    cells: list[dict]
    session_id: str
    session: Session = field(default_factory=new_session)
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
        f"{base}/api/kernels/{session['kernel']['id']}/channels?session_id={tab.session.session}")
    await kernel_up(client, tab.ws, tab.session, f"{name}'s new kernel for {notebook}",
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
        reply, outputs = await send(tab.ws, tab.session, f"{name}, {tab.notebook}, code cell {i}", cell["source"])
        tags = set(cell.get("metadata", {}).get("tags", []))
        printed = "".join(o["content"].get("text", "") for o in outputs if o["header"]["msg_type"] == "stream")
        failed = reply["content"]["status"] != "ok" or panic_in(printed) is not None
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
