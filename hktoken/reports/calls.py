"""Many ``eth_call``s of one view at one block, in JSON-RPC batches (one round trip per batch), decoded by the ABI.

Reports read every holder's balance and registry entry at a record block; one call at a time would cost a round
trip each. A node that does not take batches is asked one call at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from web3.contract import Contract

from hktoken.chain.connection import Chain
from hktoken.errors import ChainError

BATCH_SIZE = 200


def call_many(chain: Chain, contract: Contract, function: str, args: Sequence[Sequence[Any]], block: int) -> list[Any]:
    """``contract.function(*a)`` at ``block`` for every ``a`` in ``args``: the decoded single output (a tuple when
    the function returns several values), in order."""
    abi = contract.get_function_by_name(function).abi
    outputs = [str(o["type"]) if o["type"] != "tuple" else _tuple_type(o) for o in abi.get("outputs", [])]
    requests = [
        ("eth_call", [{"to": contract.address, "data": contract.encode_abi(function, args=list(a))}, hex(block)])
        for a in args
    ]
    raw: list[str] = []
    for start in range(0, len(requests), BATCH_SIZE):
        raw.extend(_answers(chain, requests[start : start + BATCH_SIZE], function))
    decoded = [chain.w3.codec.decode(outputs, bytes.fromhex(r[2:])) for r in raw]
    return [values[0] if len(values) == 1 else tuple(values) for values in decoded]


def _tuple_type(item: dict[str, Any]) -> str:
    inner = ",".join(str(c["type"]) if c["type"] != "tuple" else _tuple_type(c) for c in item["components"])
    return f"({inner})"


def _answers(chain: Chain, batch: list[tuple[str, list[Any]]], function: str) -> list[str]:
    try:
        responses = chain.w3.provider.make_batch_request(batch)  # type: ignore[attr-defined]
    except ChainError:
        raise
    except Exception:
        responses = None
    if not isinstance(responses, list) or len(responses) != len(batch):
        return [str(chain.rpc(method, params)) for method, params in batch]
    ordered = sorted(responses, key=lambda r: int(r.get("id", 0)))
    out = []
    for response in ordered:
        if "error" in response:
            message = response["error"].get("message", response["error"])
            raise ChainError(f"{function} failed at the record block: {message}", fix="check the block and address")
        out.append(str(response["result"]))
    return out
