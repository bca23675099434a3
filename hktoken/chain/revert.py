"""Turn revert data into typed exceptions carrying the decoded custom error (web3 8 leaves it as hex)."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError

from hktoken.errors import MissingRole, TransactionReverted, TransferRestricted
from hktoken.restrictions import Restriction, message_for

_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)


ROLE_NAMES = ("ISSUER_ROLE", "AGENT_ROLE", "PAUSER_ROLE", "COMPLIANCE_ROLE", "REGISTRAR_ROLE")
_ROLE_BY_HASH: dict[bytes, str] = {bytes(32): "DEFAULT_ADMIN_ROLE"} | {keccak(text=name): name for name in ROLE_NAMES}


def role_name(role: bytes) -> str:
    """The name of a role hash hktoken's contracts use, else its hex."""
    return _ROLE_BY_HASH.get(role, "0x" + role.hex())


def _selector(abi: dict[str, Any]) -> bytes:
    types = ",".join(_canonical_type(i) for i in abi.get("inputs", []))
    return function_signature_to_4byte_selector(f"{abi['name']}({types})")


def _canonical_type(item: dict[str, Any]) -> str:
    kind = str(item["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in item.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _to_bytes(data: str | bytes | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    text = data[2:] if data.startswith("0x") else data
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""


class RevertDecoder:
    """Maps 4-byte selectors to error ABIs gathered from every artifact of the build."""

    def __init__(self, error_abis: list[dict[str, Any]]) -> None:
        self._errors: dict[bytes, dict[str, Any]] = {}
        for abi in error_abis:
            self._errors.setdefault(_selector(abi), abi)

    def add(self, abis: list[dict[str, Any]]) -> None:
        """Learn the errors of more ABIs (for contracts deployed from outside the shipped build)."""
        for abi in abis:
            if abi.get("type") == "error":
                self._errors.setdefault(_selector(abi), abi)

    def decode(self, data: str | bytes | None, *, tx_hash: str | None = None) -> TransactionReverted:
        """The exception for revert ``data``; unknown selectors still give a readable exception."""
        raw = _to_bytes(data)
        hex_data = "0x" + raw.hex()
        if len(raw) < 4:
            return TransactionReverted(
                "Revert", {}, data=hex_data, tx_hash=tx_hash, message="reverted without a reason"
            )
        selector, body = raw[:4], raw[4:]
        try:
            if selector == _ERROR_STRING:
                (reason,) = decode(["string"], body)
                return TransactionReverted(
                    "Error", {"message": reason}, data=hex_data, tx_hash=tx_hash, message=f"reverted: {reason}"
                )
            if selector == _PANIC:
                (code,) = decode(["uint256"], body)
                return TransactionReverted(
                    "Panic",
                    {"code": code},
                    data=hex_data,
                    tx_hash=tx_hash,
                    message=f"reverted with Panic(0x{code:02x})",
                )
            abi = self._errors.get(selector)
            if abi is None:
                return TransactionReverted(
                    f"Unknown(0x{selector.hex()})",
                    {},
                    data=hex_data,
                    tx_hash=tx_hash,
                    message=f"reverted with an error unknown to this build (selector 0x{selector.hex()})",
                )
            inputs = abi.get("inputs", [])
            values = decode([_canonical_type(i) for i in inputs], body)
        except DecodingError:
            return TransactionReverted(f"Malformed(0x{selector.hex()})", {}, data=hex_data, tx_hash=tx_hash)
        args = {
            str(i.get("name") or f"arg{n}"): _normalise(i, v)
            for n, (i, v) in enumerate(zip(inputs, values, strict=True))
        }
        return _typed(abi["name"], args, hex_data, tx_hash)

    def from_exception(self, exc: ContractLogicError, *, tx_hash: str | None = None) -> TransactionReverted:
        """Decode what web3 raised for a reverted call, estimate or replay."""
        data = exc.data
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            return self.decode(data, tx_hash=tx_hash)
        return TransactionReverted("Revert", {}, tx_hash=tx_hash, message=str(exc.message or exc))


def _normalise(item: dict[str, Any], value: Any) -> Any:
    if item.get("type") == "address" and isinstance(value, str):
        return Web3.to_checksum_address(value)
    return value


def _typed(name: str, args: dict[str, Any], data: str, tx_hash: str | None) -> TransactionReverted:
    if name == "TransferRestricted" and "code" in args:
        code = int(args["code"])
        return TransferRestricted(code, message_for(code), args=args, data=data, tx_hash=tx_hash)
    if name == "AccessControlUnauthorizedAccount":
        return MissingRole(args["account"], role_name(args["neededRole"]), args=args, data=data, tx_hash=tx_hash)
    if name == "ERC7943InsufficientUnfrozenBalance":
        code = int(Restriction.INSUFFICIENT_UNFROZEN_BALANCE)
        return TransferRestricted(code, message_for(code), error=name, args=args, data=data, tx_hash=tx_hash)
    return TransactionReverted(name, args, data=data, tx_hash=tx_hash)
