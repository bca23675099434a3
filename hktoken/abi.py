"""Small, generic facts about ABI entries (no contract names): canonical types, signatures, selectors, and the
Python spelling of ABI names. Shared by revert decoding, the generated contract surface and its generator."""

from __future__ import annotations

import functools
import keyword
import re
from collections.abc import Sequence
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

ROLE_SUFFIX = "_ROLE"
DEFAULT_ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"


def canonical_type(item: dict[str, Any]) -> str:
    """``uint256``, ``address[]``, ``(uint64,bool)[]``: the type as it appears in a signature."""
    kind = str(item["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in item.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def signature(item: dict[str, Any]) -> str:
    """``transfer(address,uint256)`` for a function, error or event ABI entry."""
    return f"{item['name']}({','.join(canonical_type(i) for i in item.get('inputs', []))})"


def selector(item: dict[str, Any]) -> bytes:
    """The 4-byte selector of a function or error ABI entry."""
    return keccak(text=signature(item))[:4]


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_UINT = re.compile(r"uint(\d+)")
_BYTES = re.compile(r"bytes(\d+)")


@functools.lru_cache(maxsize=1 << 16)
def _checksum_ok(value: str) -> bool:
    """Whether a mixed-case address carries its EIP-55 checksum (cached: a bulk run encodes each wallet several
    times, and a keccak costs about 0.1 ms here)."""
    return to_checksum_address(value) == value


def _word_encoder(kind: str) -> Any:
    """A function from a value of static elementary type ``kind`` to its 64 hex digits, or None."""
    if kind == "address":

        def address(value: str) -> str:
            if not isinstance(value, str) or _ADDRESS.fullmatch(value) is None:
                raise ValueError(f"{value!r} is not an address")
            if value[2:] != value[2:].lower() and value[2:] != value[2:].upper() and not _checksum_ok(value):
                raise ValueError(f"{value!r} fails its EIP-55 checksum")
            return "0" * 24 + value[2:].lower()

        return address
    if kind == "bool":

        def boolean(value: bool) -> str:
            if not isinstance(value, bool):
                raise ValueError(f"{value!r} is not a bool")
            return "0" * 63 + ("1" if value else "0")

        return boolean
    if (m := _UINT.fullmatch(kind)) is not None:
        bound = 1 << int(m.group(1))

        def uint(value: int) -> str:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{value!r} is not an integer for {kind}")
            if not 0 <= value < bound:
                raise ValueError(f"{value} is out of range for {kind}")
            return format(value, "064x")

        return uint
    if (m := _BYTES.fullmatch(kind)) is not None:
        size = int(m.group(1))

        def fixed_bytes(value: bytes) -> str:
            if not isinstance(value, bytes | bytearray):
                raise ValueError(f"{value!r} is not bytes for {kind}")
            if len(value) > size:
                raise ValueError(f"{len(value)} bytes do not fit {kind}")
            return value.hex().ljust(64, "0")

        return fixed_bytes
    return None


class Calldata:
    """Encodes calls of one function: the selector and argument types worked out once, each call fast.

    web3's ``Contract.encode_abi`` validates the whole ABI and re-derives every selector on each call (about 3 ms
    here), and ``eth_abi`` itself is slow on long arrays: too slow for 10,000 rows. Functions whose arguments are
    static elementary types (address, bool, uintN, bytesN) or arrays of them (every batch entry point) are encoded
    here word by word; any other signature goes to ``eth_abi``. Arguments go in as ``eth_abi`` takes them (bytes32
    as bytes, addresses as 0x strings, arrays as lists); the name must be unique in the ABI."""

    def __init__(self, abi: list[dict[str, Any]], name: str) -> None:
        matches = [item for item in functions(abi) if item.get("name") == name]
        if len(matches) != 1:
            raise ValueError(f"the ABI has {len(matches)} functions named {name!r}, not one")
        item = matches[0]
        self.name = name
        self.types = [canonical_type(i) for i in item.get("inputs", [])]
        self.selector = selector(item)
        self._prefix = "0x" + self.selector.hex()
        plan: list[tuple[bool, Any]] = []
        for kind in self.types:
            array = kind.endswith("[]")
            encoder = _word_encoder(kind[:-2] if array else kind)
            plan.append((array, encoder))
        self._plan = plan if all(encoder is not None for _, encoder in plan) else None

    def __call__(self, *args: Any) -> str:
        """``0x`` + selector + the ABI-encoded arguments."""
        if self._plan is None or len(args) != len(self._plan):
            return self._prefix + abi_encode(self.types, list(args)).hex()
        head: list[str] = []
        tail: list[str] = []
        offset = 32 * len(self._plan)
        for (array, encode), value in zip(self._plan, args, strict=True):
            if not array:
                head.append(encode(value))
                continue
            head.append(format(offset, "064x"))
            tail.append(format(len(value), "064x"))
            tail.extend(encode(v) for v in value)
            offset += 32 * (len(value) + 1)
        return self._prefix + "".join(head) + "".join(tail)

    def many(self, args: Sequence[Sequence[Any]]) -> list[str]:
        """The calldata of one call per argument list."""
        return [self(*a) for a in args]


def functions(abi: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The function entries of an ABI, in ABI order."""
    return [item for item in abi if item.get("type") == "function"]


def is_view(item: dict[str, Any]) -> bool:
    """Whether a function only reads (``view`` or ``pure``): it is called, never sent."""
    return item.get("stateMutability") in ("view", "pure") or bool(item.get("constant"))


def is_role_getter(item: dict[str, Any]) -> bool:
    """``AGENT_ROLE() view returns (bytes32)``: how an AccessControl contract publishes a role."""
    return (
        item.get("type") == "function"
        and str(item.get("name", "")).endswith(ROLE_SUFFIX)
        and is_view(item)
        and not item.get("inputs")
        and [o.get("type") for o in item.get("outputs", [])] == ["bytes32"]
    )


def role_names(abi: list[dict[str, Any]]) -> tuple[str, ...]:
    """The AccessControl roles an ABI publishes, sorted (``DEFAULT_ADMIN_ROLE`` among them when present)."""
    return tuple(sorted({str(item["name"]) for item in abi if is_role_getter(item)}))


def role_id(name: str) -> bytes:
    """The bytes32 of an AccessControl role name: ``keccak256(name)``, and zero for ``DEFAULT_ADMIN_ROLE``."""
    return bytes(32) if name == DEFAULT_ADMIN_ROLE else keccak(text=name)


_ACRONYM_BEFORE_WORD = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_BOUNDARY = re.compile(r"([a-z\d])([A-Z])")


def python_name(name: str) -> str:
    """``batchForcedTransfer`` -> ``batch_forced_transfer``, ``DEFAULT_ADMIN_ROLE`` -> ``default_admin_role``,
    ``eip712Domain`` -> ``eip712_domain``, ``from`` -> ``from_`` (never a Python keyword)."""
    snake = _WORD_BOUNDARY.sub(r"\1_\2", _ACRONYM_BEFORE_WORD.sub(r"\1_\2", name)).lower()
    # Hard keywords only: they are the same in every Python this runs on, so the generated code is too.
    return snake + "_" if keyword.iskeyword(snake) else snake
