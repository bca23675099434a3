"""The HTTP provider every :class:`~hktoken.chain.connection.Chain` made by ``connect`` talks through.

It is the one place where a transport failure (refused connection, timeout, HTTP error, a node that went away)
becomes a one-line :class:`~hktoken.errors.ChainError`, so every call to the node (web3's ``w3.eth.*``,
``Chain.rpc``, wrapper views, receipts, batches) fails the same way, never with a ``requests`` traceback. The
``requests`` exception stays attached as ``__cause__``.
"""

from __future__ import annotations

from typing import Any

import requests
from web3 import HTTPProvider
from web3.types import RPCEndpoint, RPCResponse

from hktoken.errors import node_unreachable


class NodeProvider(HTTPProvider):
    """web3's HTTPProvider, with transport failures raised as ChainError."""

    def _make_request(self, method: RPCEndpoint, request_data: bytes) -> bytes:
        try:
            return super()._make_request(method, request_data)
        except requests.RequestException as exc:
            raise node_unreachable(str(self.endpoint_uri), exc) from exc

    def make_batch_request(self, batch_requests: list[tuple[RPCEndpoint, Any]]) -> list[RPCResponse] | RPCResponse:
        try:
            return super().make_batch_request(batch_requests)
        except requests.RequestException as exc:
            raise node_unreachable(str(self.endpoint_uri), exc) from exc
