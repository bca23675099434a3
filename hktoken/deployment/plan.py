"""A deployment plan: the ordered steps a spec compiles to, each with a stable id.

A step deploys a contract (``registry.deploy``) or calls a function on one deployed earlier
(``token.HKGB.mint[0-49]``). Its arguments may name an earlier step's contract by :class:`Ref`; they are resolved to
addresses when the step is sent. A step's :meth:`Step.fingerprint` (what it does, with references by name) lets a
resumed run prove that the journal's record of a step is a record of this same step.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from eth_abi.abi import encode
from eth_typing import ChecksumAddress, HexStr
from eth_utils.crypto import keccak
from web3.types import Nonce
from web3.utils.address import get_create_address

from hktoken.artifacts import ArtifactStore
from hktoken.errors import SpecError


@dataclass(frozen=True)
class Ref:
    """The address of the contract an earlier step deployed, by its key (``registry``, ``token.HKGB``)."""

    contract: str


@dataclass(frozen=True)
class NextDeployment:
    """The address of the deployer's deployment right after this step's transaction: CREATE at its nonce + 1 (a
    contract that must name the next one at construction, e.g. a gold custodian naming its token). Resolved when
    the step is signed; the next step of the plan must be that deployment."""


NEXT_DEPLOYMENT = "@next"


@dataclass(frozen=True)
class Step:
    """One transaction of a deployment."""

    id: str
    action: Literal["deploy", "call"]
    contract: str  # the key of the contract deployed (deploy) or called (call)
    artifact: str
    function: str | None = None
    args: tuple[Any, ...] = ()
    summary: str = ""

    def fingerprint(self) -> str:
        """A digest of what the step does (references by key, not address): equal for the same step of a spec."""
        body = json.dumps([self.action, self.contract, self.artifact, self.function, _plain(self.args)])
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def resolve(self, addresses: Mapping[str, ChecksumAddress]) -> tuple[Any, ...]:
        """The arguments with every :class:`Ref` replaced by the address recorded for it."""
        return tuple(_resolve(arg, addresses, self.id) for arg in self.args)


@dataclass
class Plan:
    """A spec's steps in order, and the artifact of every contract key."""

    name: str
    steps: list[Step] = field(default_factory=list)
    contracts: dict[str, str] = field(default_factory=dict)  # key -> artifact name
    # Contracts created by another's constructor: key -> (creator key, the creator's CREATE nonce).
    derived: dict[str, tuple[str, int]] = field(default_factory=dict)

    def derive(self, key: str, artifact: str, creator: str, nonce: int = 1) -> None:
        """Name a contract that ``creator``'s constructor creates (its CREATE nonce ``nonce``: 1 for the first), so
        later steps can call it and refer to it."""
        if creator not in self.contracts:
            raise ValueError(f"{key} is created by {creator}, which no earlier step deploys")
        self.contracts[key] = artifact
        self.derived[key] = (creator, nonce)

    def addresses(self, recorded: Mapping[str, ChecksumAddress]) -> dict[str, ChecksumAddress]:
        """The recorded addresses, with every derived contract whose creator is recorded."""
        out = dict(recorded)
        for key, (creator, nonce) in self.derived.items():
            if creator in out and key not in out:
                out[key] = get_create_address(out[creator], Nonce(nonce))
        return out

    def add(self, step: Step) -> Step:
        if any(existing.id == step.id for existing in self.steps):  # a builder bug, not a user's
            raise ValueError(f"duplicate step id {step.id}")
        if step.action == "deploy":
            self.contracts[step.contract] = step.artifact
        elif step.contract not in self.contracts:
            raise ValueError(f"step {step.id} calls {step.contract}, which no earlier step deploys")
        self.steps.append(step)
        return step


def uses_next_deployment(step: Step) -> bool:
    """Whether the step's arguments name the deployer's next deployment."""

    def walk(value: Any) -> bool:
        if isinstance(value, NextDeployment):
            return True
        return isinstance(value, list | tuple) and any(walk(v) for v in value)

    return walk(step.args)


def _plain(value: Any) -> Any:
    if isinstance(value, NextDeployment):
        return NEXT_DEPLOYMENT
    if isinstance(value, Ref):
        return f"@{value.contract}"
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _resolve(value: Any, addresses: Mapping[str, ChecksumAddress], step_id: str) -> Any:
    if isinstance(value, NextDeployment):
        if NEXT_DEPLOYMENT not in addresses:  # the runner supplies it when it signs the step
            raise SpecError(f"step {step_id} needs the deployer's next deployment address, which is not known yet")
        return addresses[NEXT_DEPLOYMENT]
    if isinstance(value, Ref):
        if value.contract not in addresses:
            raise SpecError(f"step {step_id} needs {value.contract}, which is not deployed yet")
        return addresses[value.contract]
    if isinstance(value, list):
        return [_resolve(v, addresses, step_id) for v in value]
    if isinstance(value, tuple):
        return tuple(_resolve(v, addresses, step_id) for v in value)
    return value


def encode_step(
    artifacts: ArtifactStore, step: Step, addresses: Mapping[str, ChecksumAddress]
) -> tuple[ChecksumAddress | None, HexStr]:
    """The transaction's ``to`` (None for a deployment) and data."""
    artifact = artifacts.get(step.artifact)
    args = step.resolve(addresses)
    if step.action == "deploy":
        constructor = next((i for i in artifact.abi if i.get("type") == "constructor"), None)
        types = [_abi_type(i) for i in constructor["inputs"]] if constructor else []
        return None, HexStr(artifact.bytecode + (encode(types, list(args)).hex() if types else ""))
    function = next(
        (
            item
            for item in artifact.abi
            if item.get("type") == "function" and item.get("name") == step.function and len(item["inputs"]) == len(args)
        ),
        None,
    )
    if function is None:
        raise SpecError(f"step {step.id}: {step.artifact} has no function {step.function} of {len(args)} argument(s)")
    types = [_abi_type(i) for i in function["inputs"]]
    selector = keccak(text=f"{step.function}({','.join(types)})")[:4]
    return addresses[step.contract], HexStr("0x" + selector.hex() + encode(types, list(args)).hex())


def _abi_type(item: Mapping[str, Any]) -> str:
    kind = str(item["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in item.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def chunks(count: int, size: int) -> Sequence[range]:
    """``range(count)`` cut into consecutive ranges of at most ``size``."""
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def span(indices: range) -> str:
    """``[3]`` for one index, ``[0-49]`` for a range: the suffix of a batched step's id."""
    return f"[{indices.start}]" if len(indices) == 1 else f"[{indices.start}-{indices.stop - 1}]"
