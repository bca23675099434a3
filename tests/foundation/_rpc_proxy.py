"""A fault-injecting JSON-RPC proxy on 127.0.0.1: forwards to a real node, and lets a test rewrite what one method
answers (mine, drop, replace, time out, return an error) the way another client or another tool would."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

Request = dict[str, Any]
Forward = Callable[[Request], dict[str, Any]]
Hook = Callable[[Request, Forward], dict[str, Any]]


class RpcProxy:
    """``hooks[method](request, forward)`` answers ``method`` instead of the node; every other call is forwarded."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.hooks: dict[str, Hook] = {}
        self.calls: list[str] = []
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="rpc-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> RpcProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening (idempotent); a hook that is holding an answer back is released first."""
        self._released.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def forward(self, request: Request) -> dict[str, Any]:
        answer: dict[str, Any] = requests.post(self.upstream, json=request, timeout=10).json()
        return answer

    def node(self, method: str, params: list[Any] | None = None) -> Any:
        """Call the node directly, as another tool would (bypassing the hooks)."""
        answer = self.forward({"jsonrpc": "2.0", "id": 0, "method": method, "params": params or []})
        assert "error" not in answer, answer
        return answer.get("result")

    def hold(self, seconds: float) -> None:
        """Keep an answer back for ``seconds`` (a node that does not answer in time), or until the proxy stops."""
        self._released.wait(seconds)

    def _answer(self, request: Any) -> Any:
        if isinstance(request, list):
            return [self._answer(item) for item in request]
        method = str(request.get("method"))
        self.calls.append(method)
        hook = self.hooks.get(method)
        return hook(request, self.forward) if hook is not None else self.forward(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = json.dumps(proxy._answer(json.loads(body))).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def rpc_error(request: Request, message: str, *, code: int = -32603, data: str | None = None) -> dict[str, Any]:
    """An error answer to ``request``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request.get("id"), "error": error}
