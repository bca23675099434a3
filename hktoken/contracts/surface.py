"""The runtime behind the generated plain ABI classes in :mod:`hktoken.contracts._abi`.

A view or pure function is an ``eth_call`` whose revert is decoded into the typed exception; any other function
goes through the chain's one sender (simulation first, tracked nonces, decoded errors). Values are plain ABI
values, amounts in base units: the hand-written wrappers add units and validation on top.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import requests
from eth_abi.exceptions import DecodingError, EncodingError
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.types import TxParams, TxReceipt

from hktoken.abi import canonical_type, functions, selector, signature
from hktoken.chain.connection import Chain
from hktoken.errors import ChainError, CompileError, SpecError, TransactionReverted, node_unreachable
from hktoken.models.common import to_address


def bad_arguments(contract: str, function: str, args: Sequence[Any]) -> SpecError:
    """The error for arguments the ABI cannot encode (wrong type, out of range, wrong length)."""
    shown = ", ".join(repr(a) for a in args)
    return SpecError(
        f"{contract}.{function}({shown}) has an argument of the wrong type or out of range",
        fix="check each value against the function's Solidity types (addresses, uint sizes, bools)",
    )


def send_through(
    chain: Chain, signer: LocalAccount, to: ChecksumAddress | None, data: HexStr, value: int = 0
) -> TxReceipt:
    """``chain.sender.send``, with the fix for a signer that cannot pay for gas (the node's text names no fix)."""
    try:
        return chain.sender.send(signer, to, data, value=value)
    except ChainError as exc:
        if "insufficient funds" not in exc.message.lower():
            raise
        raise ChainError(  # the node's own words stay in __cause__
            f"{signer.address} has too little ether to pay for gas on chain {chain.chain_id}",
            fix="fund the account: send it ether from a funded account (on a dev node: chain.set_balance)",
        ) from exc


@dataclass(frozen=True)
class _Function:
    name: str
    selector: bytes
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    input_types: list[str]
    output_types: list[str]


def _checksummed_inputs(item: dict[str, Any], value: Any, what: str) -> Any:
    """Every address in ``value`` (nested in arrays and tuples as the ABI says) checksummed, or SpecError."""
    kind = str(item["type"])
    if kind.endswith("]"):
        if not isinstance(value, list | tuple):
            return value  # the encoder refuses it with the full context
        inner = {**item, "type": kind[: kind.rindex("[")]}
        return [_checksummed_inputs(inner, v, what) for v in value]
    if kind == "tuple":
        components = item.get("components", [])
        if not isinstance(value, list | tuple) or len(value) != len(components):
            return value
        return tuple(_checksummed_inputs(c, v, what) for c, v in zip(components, value, strict=True))
    if kind == "address":
        return to_address(value, what=what)
    return value


def _plain_outputs(item: dict[str, Any], value: Any) -> Any:
    """Decoded values as web3 gives them: checksummed addresses, arrays as lists, structs as tuples."""
    kind = str(item["type"])
    if kind.endswith("]"):
        inner = {**item, "type": kind[: kind.rindex("[")]}
        return [_plain_outputs(inner, v) for v in value]
    if kind == "tuple":
        return tuple(_plain_outputs(c, v) for c, v in zip(item.get("components", []), value, strict=True))
    if kind == "address":
        return Web3.to_checksum_address(value)
    return value


class AbiSurface:
    """One deployed contract's functions as plain methods; generated subclasses add one method per function.

    Build one with ``Functions(chain, address)`` (the chain's artifact of ``artifact_name`` supplies the ABI), or
    reach it as ``wrapper.raw`` from a typed wrapper.
    """

    artifact_name: ClassVar[str]

    def __init__(self, chain: Chain, address: str, abi: list[dict[str, Any]] | None = None) -> None:
        self.chain = chain
        self.address: ChecksumAddress = to_address(address, what=f"{self.artifact_name} address")
        entries = abi if abi is not None else chain.artifacts.get(self.artifact_name).abi
        self._abi = {signature(item): item for item in functions(entries)}
        self._prepared: dict[str, _Function] = {}
        # Set by a typed wrapper: rewrites a decoded refusal's message with what the wrapper knows (token units).
        self.explain: Callable[[TransactionReverted], None] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address})"

    def _function(self, function_signature: str) -> _Function:
        prepared = self._prepared.get(function_signature)
        if prepared is None:
            item = self._abi.get(function_signature)
            if item is None:
                raise CompileError(
                    f"the {self.artifact_name} artifact has no function {function_signature}",
                    fix="the generated surface is stale: run `python -m hktoken.contracts.codegen`",
                )
            inputs, outputs = list(item.get("inputs", [])), list(item.get("outputs", []))
            prepared = _Function(
                str(item["name"]),
                selector(item),
                inputs,
                outputs,
                [canonical_type(i) for i in inputs],
                [canonical_type(o) for o in outputs],
            )
            self._prepared[function_signature] = prepared
        return prepared

    def _encode(self, function: _Function, args: Sequence[Any]) -> HexStr:
        if len(args) != len(function.inputs):
            raise bad_arguments(self.artifact_name, function.name, args)
        values = [
            _checksummed_inputs(item, value, what=f"{function.name} argument {item.get('name') or n}")
            for n, (item, value) in enumerate(zip(function.inputs, args, strict=True))
        ]
        try:
            encoded = self.chain.w3.codec.encode(function.input_types, values)
        except (EncodingError, TypeError, ValueError, OverflowError) as exc:
            raise bad_arguments(self.artifact_name, function.name, args) from exc
        return HexStr("0x" + (function.selector + encoded).hex())

    def _call(self, function_signature: str, *args: Any) -> Any:
        """``eth_call`` a view: its one output, a tuple of several, or None; a revert raises the decoded error."""
        function = self._function(function_signature)
        call: TxParams = {"to": self.address, "data": self._encode(function, args)}
        try:
            raw = self.chain.w3.eth.call(call, "latest")
        except ContractLogicError as exc:
            refusal = self.chain.decoder.from_exception(exc)
            if self.explain is not None:
                self.explain(refusal)
            raise refusal from None
        except requests.RequestException as exc:
            raise node_unreachable(self.chain.rpc_url, exc) from exc
        try:
            values = self.chain.w3.codec.decode(function.output_types, bytes(raw))
        except DecodingError as exc:
            raise ChainError(
                f"{self.artifact_name}.{function.name} at {self.address} answered with data that is not its outputs",
                fix=f"check that {self.address} holds a {self.artifact_name} on chain {self.chain.chain_id}",
            ) from exc
        plain = [_plain_outputs(item, value) for item, value in zip(function.outputs, values, strict=True)]
        if not plain:
            return None
        return plain[0] if len(plain) == 1 else tuple(plain)

    def _send(self, signer: LocalAccount, function_signature: str, *args: Any, value: int = 0) -> TxReceipt:
        """Send a state-changing function through the chain's one sender; returns the successful receipt."""
        function = self._function(function_signature)
        data = self._encode(function, args)
        try:
            return send_through(self.chain, signer, self.address, data, value)
        except TransactionReverted as refusal:
            if self.explain is not None:
                self.explain(refusal)
            raise
