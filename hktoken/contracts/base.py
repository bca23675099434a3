"""What every typed contract wrapper shares: deploying from a shipped artifact, the generated plain surface as
``wrapper.raw``, reading events, and AccessControl roles by name; and, for tokens, the ERC-20 surface in ``Decimal``
token units, EIP-2612 permits and the pause.

Every function of a contract is on ``wrapper.raw`` (generated from the ABI, base units, through the one sender).
The hand-written methods here and in the wrappers add units, validation, or several transactions, and call
``self.raw`` underneath.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, runtime_checkable

from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils.crypto import keccak
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import EventData, TxReceipt

from hktoken.abi import DEFAULT_ADMIN_ROLE, role_id, role_names
from hktoken.chain.connection import Chain
from hktoken.contracts.kinds import check_kind
from hktoken.contracts.refusals import explain_units, register_domain_errors
from hktoken.contracts.surface import AbiSurface, send_through
from hktoken.errors import ChainError, HKTokenError, SpecError, TransactionReverted
from hktoken.models.common import to_address
from hktoken.units import Amount, from_base_units, to_base_units

__all__ = [
    "DEFAULT_ADMIN_ROLE",
    "PERMIT_TYPES",
    "AccessControlFunctions",
    "ContractWrapper",
    "ERC20Functions",
    "ERC20Wrapper",
    "PausableFunctions",
    "PermitFunctions",
    "deploy_contract",
    "role_id",
]

SurfaceT = TypeVar("SurfaceT", bound=AbiSurface)
PERMIT_TYPES = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
PERMIT_LIFETIME_SECONDS = 3600


# The slices of a generated surface the shared methods use. Positional-only, so only the ABI's types matter.


@runtime_checkable
class AccessControlFunctions(Protocol):
    """OpenZeppelin AccessControl."""

    def has_role(self, role: bytes, account: str, /) -> bool: ...
    def grant_role(self, signer: LocalAccount, role: bytes, account: str, /) -> TxReceipt: ...
    def revoke_role(self, signer: LocalAccount, role: bytes, account: str, /) -> TxReceipt: ...
    def renounce_role(self, signer: LocalAccount, role: bytes, caller_confirmation: str, /) -> TxReceipt: ...


@runtime_checkable
class ERC20Functions(Protocol):
    """ERC-20 with its metadata."""

    def name(self, /) -> str: ...
    def symbol(self, /) -> str: ...
    def decimals(self, /) -> int: ...
    def total_supply(self, /) -> int: ...
    def balance_of(self, account: str, /) -> int: ...
    def allowance(self, owner: str, spender: str, /) -> int: ...
    def transfer(self, signer: LocalAccount, to: str, value: int, /) -> TxReceipt: ...
    def approve(self, signer: LocalAccount, spender: str, value: int, /) -> TxReceipt: ...
    def transfer_from(self, signer: LocalAccount, owner: str, to: str, value: int, /) -> TxReceipt: ...


@runtime_checkable
class PermitFunctions(Protocol):
    """EIP-2612 permit, with its EIP-5267 domain."""

    def nonces(self, owner: str, /) -> int: ...
    def eip712_domain(self, /) -> tuple[bytes, str, str, int, str, bytes, list[int]]: ...
    def permit(
        self, signer: LocalAccount, owner: str, spender: str, value: int, deadline: int, v: int, r: bytes, s: bytes, /
    ) -> TxReceipt: ...


@runtime_checkable
class PausableFunctions(Protocol):
    """OpenZeppelin Pausable, behind a pauser role."""

    def paused(self, /) -> bool: ...
    def pause(self, signer: LocalAccount, /) -> TxReceipt: ...
    def unpause(self, signer: LocalAccount, /) -> TxReceipt: ...


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
    receipt = send_through(chain, signer, None, HexStr(artifact.bytecode + encoded))
    address = receipt.get("contractAddress")
    if not address:
        raise ChainError(f"deploying {artifact_name} produced no contract address")
    return chain.w3.eth.contract(address=address, abi=artifact.abi)


class ContractWrapper(Generic[SurfaceT]):
    """A deployed contract of a known artifact, bound to a chain. ``raw`` holds every function of its ABI."""

    artifact_name: ClassVar[str]
    surface_type: type[SurfaceT]  # each wrapper names its generated class from hktoken.contracts._abi

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address: ChecksumAddress = to_address(address, what=f"{self.artifact_name} address")
        self.artifact = chain.artifacts.get(self.artifact_name)
        self.contract: Contract = chain.w3.eth.contract(address=self.address, abi=self.artifact.abi)
        # The plain ABI surface: wrapper.raw.batch_forced_transfer(agent, [a], [b], [10**18]).
        self.raw: SurfaceT = self.surface_type(chain, self.address, self.artifact.abi)
        self.raw.explain = self._explain_refusal
        register_domain_errors(chain.decoder)

    def _explain_refusal(self, refusal: TransactionReverted) -> None:
        """Show the refusal's ids as text (a token also shows its amounts in token units)."""
        explain_units(refusal, None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address})"

    @classmethod
    def at(cls, chain: Chain, address: str) -> Self:
        """Wrap an already deployed contract; refuses an address with no code, or with a contract of another kind
        (SpecError naming what is there)."""
        wrapper = cls(chain, address)
        code = chain.code_at(wrapper.address)
        if code in ("0x", "0x0"):
            raise SpecError(
                f"no contract code at {wrapper.address} on chain {chain.chain_id}",
                fix="check the address and the network",
            )
        check_kind(chain, cls.artifact_name, wrapper.address, bytes.fromhex(code[2:]))
        return wrapper

    @classmethod
    def deploy_artifact(cls, chain: Chain, signer: LocalAccount, *constructor_args: Any) -> Self:
        """Deploy this wrapper's artifact with plain constructor arguments (no roles granted, nothing set)."""
        return cls(chain, deploy_contract(chain, signer, cls.artifact_name, *constructor_args).address)

    # --- events ------------------------------------------------------------------------------------

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

    # --- roles (AccessControl; role names come from the ABI) ------------------------------------------

    @cached_property
    def roles(self) -> tuple[str, ...]:
        """The roles this contract publishes: its ABI's ``*_ROLE() returns (bytes32)`` views, sorted."""
        return role_names(self.artifact.abi)

    def role(self, name: str) -> bytes:
        """The bytes32 of one of this contract's roles, by name; SpecError naming the roles it has."""
        if name not in self.roles:
            known = ", ".join(self.roles) or "none"
            raise SpecError(f"{self.artifact_name} has no role {name!r}", fix=f"use one of {known}")
        return role_id(name)

    def _access_control(self) -> AccessControlFunctions:
        if not isinstance(self.raw, AccessControlFunctions):
            raise SpecError(f"{self.artifact_name} has no AccessControl roles", fix="use a contract that has them")
        return self.raw

    def has_role(self, role: str, account: str) -> bool:
        """Whether ``account`` holds ``role`` (by name)."""
        return self._access_control().has_role(self.role(role), to_address(account))

    def grant_role(self, signer: LocalAccount, role: str, account: str) -> TxReceipt:
        """Grant ``role`` (by name) to ``account``; the signer needs the role's admin role."""
        return self._access_control().grant_role(signer, self.role(role), to_address(account))

    def revoke_role(self, signer: LocalAccount, role: str, account: str) -> TxReceipt:
        """Revoke ``role`` (by name) from ``account``."""
        return self._access_control().revoke_role(signer, self.role(role), to_address(account))

    def renounce_role(self, signer: LocalAccount, role: str) -> TxReceipt:
        """Give up one of the signer's own roles."""
        return self._access_control().renounce_role(signer, self.role(role), signer.address)

    def grant_roles(self, signer: LocalAccount, grants: Mapping[str, Sequence[str]]) -> list[TxReceipt]:
        """Make sure each account holds each role (role name -> accounts): grants only what is missing."""
        checked = {self.role(role): [to_address(a) for a in accounts] for role, accounts in grants.items()}
        access = self._access_control()
        return [
            access.grant_role(signer, role, account)
            for role, accounts in checked.items()
            for account in accounts
            if not access.has_role(role, account)
        ]


class ERC20Wrapper(ContractWrapper[SurfaceT]):
    """The surface shared by every token wrapper: ERC-20 in ``Decimal`` token units (base units inside), EIP-2612
    permits, and the pause."""

    def _erc20(self) -> ERC20Functions:
        if not isinstance(self.raw, ERC20Functions):
            raise SpecError(f"{self.artifact_name} is not an ERC-20 token")
        return self.raw

    def _permit(self) -> PermitFunctions:
        if not isinstance(self.raw, PermitFunctions):
            raise SpecError(f"{self.artifact_name} has no EIP-2612 permit", fix="use approve instead")
        return self.raw

    def _pausable(self) -> PausableFunctions:
        if not isinstance(self.raw, PausableFunctions):
            raise SpecError(f"{self.artifact_name} cannot be paused")
        return self.raw

    @cached_property
    def decimals(self) -> int:
        """Token precision (read once)."""
        return self._erc20().decimals()

    def _explain_refusal(self, refusal: TransactionReverted) -> None:
        """Amounts in token units and ids as text, beside the raw values."""
        explain_units(refusal, self._decimals_if_known())

    def _decimals_if_known(self) -> int | None:
        if "decimals" in self.__dict__:
            return int(self.__dict__["decimals"])
        self.raw.explain = None  # reading decimals must not come back here if it reverts too
        try:
            return self.decimals
        except HKTokenError:
            return None
        finally:
            self.raw.explain = self._explain_refusal

    @cached_property
    def name(self) -> str:
        """ERC-20 name."""
        return self._erc20().name()

    @cached_property
    def symbol(self) -> str:
        """ERC-20 symbol."""
        return self._erc20().symbol()

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
        return self._erc20().balance_of(to_address(account))

    def total_supply(self) -> Decimal:
        """Total supply in token units."""
        return self.from_units(self._erc20().total_supply())

    def allowance(self, owner: str, spender: str) -> Decimal:
        """ERC-20 allowance in token units."""
        return self.from_units(self._erc20().allowance(to_address(owner), to_address(spender)))

    def transfer(self, signer: LocalAccount, to: str, amount: Amount) -> TxReceipt:
        """ERC-20 transfer; a refusal raises the decoded error (TransferRestricted for a security) and sends nothing."""
        return self._erc20().transfer(signer, to_address(to, what="recipient"), self.to_units(amount))

    def approve(self, signer: LocalAccount, spender: str, amount: Amount) -> TxReceipt:
        """ERC-20 approve."""
        return self._erc20().approve(signer, to_address(spender, what="spender"), self.to_units(amount))

    def transfer_from(self, signer: LocalAccount, owner: str, to: str, amount: Amount) -> TxReceipt:
        """ERC-20 transferFrom by an approved spender."""
        return self._erc20().transfer_from(
            signer, to_address(owner, what="owner"), to_address(to, what="recipient"), self.to_units(amount)
        )

    # --- EIP-2612 permit ---------------------------------------------------------------------------

    def nonces(self, owner: str) -> int:
        """The owner's next permit nonce."""
        return self._permit().nonces(to_address(owner, what="owner"))

    def sign_permit(
        self, owner: LocalAccount, spender: str, amount: Amount, *, deadline: int | None = None
    ) -> dict[str, Any]:
        """An EIP-2612 permit signed by ``owner`` (nothing is sent): pass it to :meth:`permit`.

        The EIP-712 domain is the one the contract reports (EIP-5267), so a renamed token still verifies; the
        deadline defaults to an hour after the latest block."""
        functions = self._permit()
        value = self.to_units(amount)
        _fields, name, version, chain_id, verifying_contract, _salt, _extensions = functions.eip712_domain()
        message = {
            "owner": owner.address,
            "spender": to_address(spender, what="spender"),
            "value": value,
            "nonce": functions.nonces(owner.address),
            "deadline": deadline if deadline is not None else self.chain.timestamp() + PERMIT_LIFETIME_SECONDS,
        }
        domain = {"name": name, "version": version, "chainId": chain_id, "verifyingContract": verifying_contract}
        signed = owner.sign_typed_data(domain_data=domain, message_types=PERMIT_TYPES, message_data=message)
        return {**message, "v": signed.v, "r": signed.r.to_bytes(32, "big"), "s": signed.s.to_bytes(32, "big")}

    def permit(self, sender: LocalAccount, permit: Mapping[str, Any]) -> TxReceipt:
        """Submit a signed permit (anyone may send it): the spender's allowance becomes its value."""
        return self._permit().permit(
            sender, permit["owner"], permit["spender"], permit["value"], permit["deadline"],
            permit["v"], permit["r"], permit["s"],
        )  # fmt: skip

    # --- pause -------------------------------------------------------------------------------------

    def paused(self) -> bool:
        """Whether the token is paused."""
        return self._pausable().paused()

    def pause(self, signer: LocalAccount) -> TxReceipt:
        """Pause the token (PAUSER_ROLE): what stops is the contract's to say (transfers, issuance)."""
        return self._pausable().pause(signer)

    def unpause(self, signer: LocalAccount) -> TxReceipt:
        """Resume (PAUSER_ROLE)."""
        return self._pausable().unpause(signer)
