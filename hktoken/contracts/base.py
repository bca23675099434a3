"""What every typed contract wrapper shares: deploying from a shipped artifact, sending through the one
sender, calling views with decoded errors, reading events, and AccessControl roles by name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar, Self

import requests
from eth_abi.abi import encode
from eth_abi.exceptions import EncodingError
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils.crypto import keccak
from web3.contract import Contract
from web3.exceptions import ContractLogicError, MismatchedABI, Web3ValidationError
from web3.logs import DISCARD
from web3.types import EventData, TxReceipt

from hktoken.chain.connection import Chain
from hktoken.errors import ChainError, SpecError, node_unreachable
from hktoken.models.common import to_address
from hktoken.units import Amount, from_base_units, to_base_units

DEFAULT_ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"


def role_id(name: str) -> bytes:
    """The bytes32 of an AccessControl role name (``DEFAULT_ADMIN_ROLE`` is zero)."""
    return bytes(32) if name == DEFAULT_ADMIN_ROLE else keccak(text=name)


def _bad_arguments(contract: str, function: str, args: tuple[Any, ...]) -> SpecError:
    shown = ", ".join(repr(a) for a in args)
    return SpecError(
        f"{contract}.{function}({shown}) has an argument of the wrong type or out of range",
        fix="check each value against the function's Solidity types (addresses, uint sizes, bools)",
    )


def deploy_contract(chain: Chain, signer: LocalAccount, artifact_name: str, *args: Any) -> Contract:
    """Deploy any shipped artifact with constructor ``args``; returns a web3 contract bound to its address."""
    artifact = chain.artifacts.get(artifact_name)
    if not artifact.deployable:
        raise SpecError(f"{artifact_name} is abstract, an interface or a library", fix="deploy a concrete contract")
    constructor = next((item for item in artifact.abi if item.get("type") == "constructor"), None)
    types = [str(i["type"]) for i in constructor["inputs"]] if constructor else []
    if len(args) != len(types):
        raise SpecError(
            f"{artifact_name} takes {len(types)} constructor argument(s) ({', '.join(types)}), got {len(args)}"
        )
    encoded = encode(types, list(args)).hex() if types else ""
    receipt = chain.sender.send(signer, None, HexStr(artifact.bytecode + encoded))
    address = receipt.get("contractAddress")
    if not address:
        raise ChainError(f"deploying {artifact_name} produced no contract address")
    return chain.w3.eth.contract(address=address, abi=artifact.abi)


class ContractWrapper:
    """A deployed contract of a known artifact, bound to a chain."""

    artifact_name: ClassVar[str]
    roles: ClassVar[tuple[str, ...]] = ()

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address: ChecksumAddress = to_address(address, what=f"{self.artifact_name} address")
        self.artifact = chain.artifacts.get(self.artifact_name)
        self.contract: Contract = chain.w3.eth.contract(address=self.address, abi=self.artifact.abi)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address})"

    @classmethod
    def at(cls, chain: Chain, address: str) -> Self:
        """Wrap an already deployed contract; refuses an address with no code."""
        wrapper = cls(chain, address)
        if chain.code_at(wrapper.address) in ("0x", "0x0"):
            raise SpecError(
                f"no contract code at {wrapper.address} on chain {chain.chain_id}",
                fix="check the address and the network",
            )
        return wrapper

    @classmethod
    def _deploy(cls, chain: Chain, signer: LocalAccount, *args: Any) -> Self:
        return cls(chain, deploy_contract(chain, signer, cls.artifact_name, *args).address)

    # --- sending and calling -----------------------------------------------------------------------

    def _encode(self, function: str, args: tuple[Any, ...]) -> HexStr:
        try:
            return HexStr(self.contract.encode_abi(function, args=list(args)))
        except (Web3ValidationError, MismatchedABI, EncodingError, TypeError, ValueError) as exc:
            raise _bad_arguments(self.artifact_name, function, args) from exc

    def _transact(self, signer: LocalAccount, function: str, *args: Any) -> TxReceipt:
        return self.chain.sender.send(signer, self.address, self._encode(function, args))

    def _call(self, function: str, *args: Any) -> Any:
        try:
            bound = self.contract.get_function_by_name(function)(*args)
        except (Web3ValidationError, MismatchedABI, EncodingError, TypeError, ValueError) as exc:
            raise _bad_arguments(self.artifact_name, function, args) from exc
        try:
            return bound.call()
        except ContractLogicError as exc:
            raise self.chain.decoder.from_exception(exc) from None
        except requests.RequestException as exc:
            raise node_unreachable(self.chain.rpc_url, exc) from exc

    def events(self, receipt: TxReceipt, name: str) -> list[EventData]:
        """The ``name`` events this contract emitted in ``receipt``, decoded, in log order."""
        decoded = self.contract.events[name]().process_receipt(receipt, errors=DISCARD)
        return [event for event in decoded if event["address"] == self.address]

    def event_names(self, receipt: TxReceipt) -> list[str]:
        """Names of every event this contract emitted in ``receipt``, in log order."""
        by_topic = {
            keccak(text=f"{e['name']}({','.join(str(i['type']) for i in e['inputs'])})"): str(e["name"])
            for e in self.artifact.abi
            if e.get("type") == "event"
        }
        return [
            by_topic.get(bytes(log["topics"][0]), "?")
            for log in receipt["logs"]
            if log["address"] == self.address and log["topics"]
        ]

    # --- roles -------------------------------------------------------------------------------------

    def _role(self, name: str) -> bytes:
        if name != DEFAULT_ADMIN_ROLE and name not in self.roles:
            known = ", ".join((DEFAULT_ADMIN_ROLE, *self.roles))
            raise SpecError(f"{self.artifact_name} has no role {name!r}", fix=f"use one of {known}")
        return role_id(name)

    def has_role(self, role: str, account: str) -> bool:
        """Whether ``account`` holds ``role`` (by name)."""
        return bool(self._call("hasRole", self._role(role), to_address(account)))

    def grant_role(self, signer: LocalAccount, role: str, account: str) -> TxReceipt:
        """Grant ``role`` (by name) to ``account``; the signer needs the role's admin role."""
        return self._transact(signer, "grantRole", self._role(role), to_address(account))

    def revoke_role(self, signer: LocalAccount, role: str, account: str) -> TxReceipt:
        """Revoke ``role`` (by name) from ``account``."""
        return self._transact(signer, "revokeRole", self._role(role), to_address(account))

    def _grant_roles(self, signer: LocalAccount, grants: Mapping[str, Sequence[str]]) -> None:
        for role, accounts in grants.items():
            for account in accounts:
                if not self.has_role(role, account):
                    self.grant_role(signer, role, account)


class ERC20Wrapper(ContractWrapper):
    """The ERC-20 surface shared by every token wrapper: ``Decimal`` token units outside, base units inside."""

    @cached_property
    def decimals(self) -> int:
        """Token precision (read once)."""
        return int(self._call("decimals"))

    @cached_property
    def name(self) -> str:
        """ERC-20 name."""
        return str(self._call("name"))

    @cached_property
    def symbol(self) -> str:
        """ERC-20 symbol."""
        return str(self._call("symbol"))

    def to_units(self, amount: Amount, *, what: str = "amount") -> int:
        """Token units -> base units, refusing excess precision (wrong decimals)."""
        return to_base_units(amount, self.decimals, what=what)

    def from_units(self, value: int) -> Decimal:
        """Base units -> token units."""
        return from_base_units(value, self.decimals)

    def balance_of(self, account: str) -> Decimal:
        """Balance in token units."""
        return self.from_units(self.raw_balance_of(account))

    def raw_balance_of(self, account: str) -> int:
        """Balance in base units."""
        return int(self._call("balanceOf", to_address(account)))

    def total_supply(self) -> Decimal:
        """Total supply in token units."""
        return self.from_units(self._call("totalSupply"))

    def allowance(self, owner: str, spender: str) -> Decimal:
        """ERC-20 allowance in token units."""
        return self.from_units(self._call("allowance", to_address(owner), to_address(spender)))

    def transfer(self, signer: LocalAccount, to: str, amount: Amount) -> TxReceipt:
        """ERC-20 transfer; a refusal raises the decoded error (TransferRestricted for a security) and sends nothing."""
        return self._transact(signer, "transfer", to_address(to, what="recipient"), self.to_units(amount))

    def approve(self, signer: LocalAccount, spender: str, amount: Amount) -> TxReceipt:
        """ERC-20 approve."""
        return self._transact(signer, "approve", to_address(spender, what="spender"), self.to_units(amount))

    def transfer_from(self, signer: LocalAccount, owner: str, to: str, amount: Amount) -> TxReceipt:
        """ERC-20 transferFrom by an approved spender."""
        return self._transact(
            signer, "transferFrom", to_address(owner, what="owner"), to_address(to, what="recipient"),
            self.to_units(amount),
        )  # fmt: skip
