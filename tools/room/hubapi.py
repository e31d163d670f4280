"""A hub's REST API, and learners' servers behind its proxy (contents, sessions, kernels'
websockets), with one API token; every error in one line."""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from tools.room import HUB_SCOPES


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
