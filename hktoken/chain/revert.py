"""Turn revert data into typed exceptions carrying the decoded custom error (web3 8 leaves it as hex).

Generic: the decoder knows Solidity's ``Error(string)`` and ``Panic(uint256)``, every error ABI it is given, and
OpenZeppelin's AccessControl refusal (as :class:`~hktoken.errors.MissingRole`, with role names learned from the
artifacts' ABIs). Domain errors get their typed exceptions from factories the contracts layer registers with
:meth:`RevertDecoder.register`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from web3 import Web3
from web3.exceptions import ContractLogicError

from hktoken.abi import DEFAULT_ADMIN_ROLE, canonical_type, role_id, role_names, selector
from hktoken.errors import MissingRole, SpecError, TransactionReverted

_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)
ACCESS_CONTROL_ERROR = "AccessControlUnauthorizedAccount"


@dataclass(frozen=True)
class DecodedError:
    """A custom error decoded from revert data, before it becomes an exception."""

    error: str
    args: dict[str, Any]
    data: str
    tx_hash: str | None

    def generic(self) -> TransactionReverted:
        """The plain exception for this error (what the decoder raises when no factory is registered)."""
        return TransactionReverted(self.error, self.args, data=self.data, tx_hash=self.tx_hash)


ErrorFactory = Callable[[DecodedError], TransactionReverted]
AbiSource = Callable[[], Iterable[list[dict[str, Any]]]]


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
    """Maps 4-byte selectors to error ABIs gathered from every artifact of the build, and error names to the
    factories that build their typed exceptions."""

    def __init__(self, error_abis: list[dict[str, Any]], *, abi_source: AbiSource | None = None) -> None:
        """``error_abis``: every error of the build; ``abi_source``: the build's ABIs, read the first time a role
        hash needs a name (roles are the ABIs' ``*_ROLE() returns (bytes32)`` views)."""
        self._errors: dict[bytes, dict[str, Any]] = {}
        for abi in error_abis:
            self._errors.setdefault(selector(abi), abi)
        self._abi_source = abi_source
        self._roles: dict[bytes, str] = {role_id(DEFAULT_ADMIN_ROLE): DEFAULT_ADMIN_ROLE}
        self._factories: dict[str, ErrorFactory] = {ACCESS_CONTROL_ERROR: self._missing_role}

    def add(self, abis: list[dict[str, Any]]) -> None:
        """Learn the errors and roles of more ABI entries (for contracts deployed from outside the shipped build)."""
        for abi in abis:
            if abi.get("type") == "error":
                self._errors.setdefault(selector(abi), abi)
        self._learn_roles(abis)

    def _learn_roles(self, abi: list[dict[str, Any]]) -> None:
        for name in role_names(abi):
            self._roles.setdefault(role_id(name), name)

    def role_name(self, role: bytes) -> str:
        """The name of an AccessControl role hash any known ABI publishes, else its hex."""
        if role not in self._roles and self._abi_source is not None:
            source, self._abi_source = self._abi_source, None
            for abi in source():
                self._learn_roles(abi)
        return self._roles.get(role, "0x" + role.hex())

    def register(self, error: str, factory: ErrorFactory) -> None:
        """Build the exception for custom error ``error`` with ``factory`` (e.g. a domain subclass of
        TransactionReverted). Registering the same factory again does nothing; a different one is refused."""
        current = self._factories.get(error)
        if current is not None and current != factory:
            raise SpecError(
                f"revert error {error} already has a factory ({getattr(current, '__qualname__', current)!s})",
                fix="register each error name once per chain",
            )
        self._factories[error] = factory

    def registered(self) -> frozenset[str]:
        """The error names that have a factory."""
        return frozenset(self._factories)

    def _missing_role(self, decoded: DecodedError) -> TransactionReverted:
        account, role = decoded.args.get("account"), decoded.args.get("neededRole")
        if not isinstance(account, str) or not isinstance(role, bytes):
            return decoded.generic()
        return MissingRole(account, self.role_name(role), args=decoded.args, data=decoded.data, tx_hash=decoded.tx_hash)

    def decode(self, data: str | bytes | None, *, tx_hash: str | None = None) -> TransactionReverted:
        """The exception for revert ``data``; unknown selectors still give a readable exception."""
        raw = _to_bytes(data)
        hex_data = "0x" + raw.hex()
        if len(raw) < 4:
            return TransactionReverted(
                "Revert", {}, data=hex_data, tx_hash=tx_hash, message="reverted without a reason"
            )
        head, body = raw[:4], raw[4:]
        try:
            if head == _ERROR_STRING:
                (reason,) = decode(["string"], body)
                return TransactionReverted(
                    "Error", {"message": reason}, data=hex_data, tx_hash=tx_hash, message=f"reverted: {reason}"
                )
            if head == _PANIC:
                (code,) = decode(["uint256"], body)
                return TransactionReverted(
                    "Panic",
                    {"code": code},
                    data=hex_data,
                    tx_hash=tx_hash,
                    message=f"reverted with Panic(0x{code:02x})",
                )
            abi = self._errors.get(head)
            if abi is None:
                return TransactionReverted(
                    f"Unknown(0x{head.hex()})",
                    {},
                    data=hex_data,
                    tx_hash=tx_hash,
                    message=f"reverted with an error unknown to this build (selector 0x{head.hex()})",
                )
            inputs = abi.get("inputs", [])
            values = decode([canonical_type(i) for i in inputs], body)
        except DecodingError:
            return TransactionReverted(f"Malformed(0x{head.hex()})", {}, data=hex_data, tx_hash=tx_hash)
        args = {
            str(i.get("name") or f"arg{n}"): _normalise(i, v)
            for n, (i, v) in enumerate(zip(inputs, values, strict=True))
        }
        decoded = DecodedError(str(abi["name"]), args, hex_data, tx_hash)
        factory = self._factories.get(decoded.error)
        return factory(decoded) if factory is not None else decoded.generic()

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
