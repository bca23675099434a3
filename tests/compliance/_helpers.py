"""Shared helpers of the compliance battery: accounts, deployment of a registry + token with separated
duties, fast state snapshots (one JSON-RPC batch) and refusal assertions built on hktoken.testing's public
``reverts`` and ``nothing_sent``.

Every module deploys ONCE in a module-scoped fixture (the plugin snapshots each module and each test),
so every test starts from the module's deployment and nothing leaks between tests or modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eth_abi.abi import decode, encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from web3 import Web3

from hktoken import (
    Investor,
    InvestorClass,
    InvestorRegistry,
    SecurityToken,
    TokenRoles,
    TransferRestricted,
)
from hktoken.abi import python_name
from hktoken.chain import Chain
from hktoken.models.restrictions import message_for
from hktoken.testing import RevertInfo, nothing_sent, reverts

from ._kinds import FACTORIES, TokenSpec

ZERO = "0x0000000000000000000000000000000000000000"
MAX_UINT = 2**256 - 1
HK, SG, US, KP = 344, 702, 840, 408
DAY = 86_400
YEAR = 365 * DAY
RETAIL, PRO, INST = InvestorClass.RETAIL, InvestorClass.PROFESSIONAL, InvestorClass.INSTITUTIONAL


# --------------------------------------------------------------------------------------------- accounts


def extra_account(label: str) -> LocalAccount:
    """A deterministic extra signer (not one of anvil's funded accounts): fund it with :func:`fund`."""
    account: LocalAccount = Account.from_key(keccak(text=f"hktoken-compliance:{label}"))
    return account


def fund(chain: Chain, *accounts: LocalAccount | str) -> None:
    """Give accounts ether for gas (dev node only; undone by the module snapshot)."""
    for account in accounts:
        address = account if isinstance(account, str) else account.address
        chain.set_balance(Web3.to_checksum_address(address), 10**21)


def addr(account: LocalAccount | str) -> ChecksumAddress:
    return Web3.to_checksum_address(account if isinstance(account, str) else account.address)


def when(chain: Chain, seconds_from_now: int) -> datetime:
    """An aware datetime ``seconds_from_now`` after the latest block."""
    return datetime.fromtimestamp(chain.timestamp() + seconds_from_now, tz=UTC)


def id32(investor_id: str) -> bytes:
    return investor_id.encode().ljust(32, b"\0")


def investor(
    chain: Chain,
    investor_id: str,
    wallets: Sequence[LocalAccount | str],
    *,
    country: int = HK,
    klass: InvestorClass = PRO,
    ttl: int = 10 * YEAR,
    omnibus: bool = False,
) -> Investor:
    return Investor(
        id=investor_id,
        wallets=[addr(w) for w in wallets],
        country=country,
        investor_class=klass,
        kyc_expiry=when(chain, ttl),
        omnibus=omnibus,
    )


# --------------------------------------------------------------------------------------------- fast reads


def call_requests(calls: Sequence[tuple[str, str, Sequence[str], Sequence[Any], Sequence[str]]]) -> list[Any]:
    """JSON-RPC eth_call requests for (address, function name, arg types, args, output types)."""
    requests = []
    for to, name, types, args, _outs in calls:
        data = keccak(text=f"{name}({','.join(types)})")[:4] + encode(list(types), list(args))
        requests.append(("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"]))
    return requests


def raw_batch(chain: Chain, requests: list[Any]) -> list[str]:
    """The raw results of prepared eth_call requests, in one round trip (for cheap equality checks)."""
    responses = chain.w3.provider.make_batch_request(requests)  # type: ignore[attr-defined]
    assert isinstance(responses, list), f"batch eth_call failed: {responses}"
    assert all("error" not in r for r in responses), responses
    return [str(r["result"]) for r in responses]


def batch_call(
    chain: Chain, calls: Sequence[tuple[str, str, Sequence[str], Sequence[Any], Sequence[str]]]
) -> list[Any]:
    """Many eth_calls in ONE JSON-RPC batch: (address, function name, arg types, args, output types)."""
    responses = chain.w3.provider.make_batch_request(call_requests(calls))  # type: ignore[attr-defined]
    assert isinstance(responses, list), f"batch eth_call failed: {responses}"
    out = []
    for (_to, name, _t, _a, outs), response in zip(calls, responses, strict=True):
        assert "error" not in response, f"{name} reverted: {response['error']}"
        values = decode(list(outs), bytes.fromhex(str(response["result"])[2:]))
        out.append(values[0] if len(values) == 1 else tuple(values))
    return out


def token_state(token: SecurityToken[Any], addresses: Iterable[str]) -> dict[str, Any]:
    """Everything a refused call must leave untouched, read in one round trip."""
    wallets = sorted({addr(a) for a in addresses})
    calls: list[tuple[str, str, Sequence[str], Sequence[Any], Sequence[str]]] = []
    for w in wallets:
        calls.append((token.address, "balanceOf", ["address"], [w], ["uint256"]))
        calls.append((token.address, "getFrozenTokens", ["address"], [w], ["uint256"]))
        calls.append((token.address, "isFrozen", ["address"], [w], ["bool"]))
    calls += [
        (token.address, "totalSupply", [], [], ["uint256"]),
        (token.address, "holderCount", [], [], ["uint32"]),
        (token.address, "paused", [], [], ["bool"]),
        (token.address, "treasury", [], [], ["address"]),
        (
            token.address,
            "rules",
            [],
            [],
            ["(uint64,uint8,uint8,uint32,uint32,uint32,uint32,uint256,uint256,uint256,uint256)"],
        ),
    ]
    values = batch_call(token.chain, calls)
    n = 3 * len(wallets)
    return {
        "balances": dict(zip(wallets, values[0:n:3], strict=True)),
        "frozen": dict(zip(wallets, values[1:n:3], strict=True)),
        "flags": dict(zip(wallets, values[2:n:3], strict=True)),
        "supply": values[n],
        "holders": values[n + 1],
        "paused": values[n + 2],
        "treasury": values[n + 3],
        "rules": values[n + 4],
    }


def balances(token: SecurityToken[Any], addresses: Iterable[str]) -> dict[str, int]:
    wallets = [addr(a) for a in addresses]
    values = batch_call(token.chain, [(token.address, "balanceOf", ["address"], [w], ["uint256"]) for w in wallets])
    return dict(zip(wallets, values, strict=True))


# --------------------------------------------------------------------------------------------- refusals


@contextmanager
def unchanged(chain: Chain, *signers: LocalAccount | str, watch: Callable[[], Any] | None = None) -> Iterator[None]:
    """A refusal: none of ``signers`` sent anything (hktoken.testing.nothing_sent) and ``watch()`` is unchanged."""
    before = watch() if watch is not None else None
    with nothing_sent(chain, *signers):
        yield
    if watch is not None:
        assert watch() == before, "a refused call must change nothing"


@contextmanager
def restricted(code: int, sender: str, recipient: str, amount: int) -> Iterator[RevertInfo]:
    """The block raises ``TransferRestricted(from, to, amount, code)`` with the ERC-1404 code and reason."""
    with reverts("TransferRestricted", from_=sender, to=recipient, amount=amount, code=code) as refusal:
        yield refusal
    assert_restricted(refusal.value, code, sender, recipient, amount)


@contextmanager
def unfrozen_shortfall(account: str, amount: int, unfrozen: int) -> Iterator[RevertInfo]:
    """The block raises ERC-7943 ``ERC7943InsufficientUnfrozenBalance``, surfaced as code 6."""
    with reverts("ERC7943InsufficientUnfrozenBalance", account=account, amount=amount, unfrozen=unfrozen) as refusal:
        yield refusal
    assert_unfrozen_shortfall(refusal.value, account, amount, unfrozen)


def assert_restricted(exc: Exception, code: int, sender: str, recipient: str, amount: int) -> None:
    """``TransferRestricted(from, to, amount, code)`` with the ERC-1404 code and reason."""
    assert type(exc) is TransferRestricted, repr(exc)
    assert exc.error == "TransferRestricted"
    assert exc.code == code
    assert exc.reason == message_for(code)
    assert exc.arguments == {"from": addr(sender), "to": addr(recipient), "amount": amount, "code": code}


def assert_unfrozen_shortfall(exc: Exception, account: str, amount: int, unfrozen: int) -> None:
    """ERC-7943 ``ERC7943InsufficientUnfrozenBalance(account, amount, unfrozen)``, surfaced as code 6."""
    assert type(exc) is TransferRestricted, repr(exc)
    assert exc.error == "ERC7943InsufficientUnfrozenBalance"
    assert exc.code == 6
    assert exc.reason == message_for(6)
    assert exc.arguments == {"account": addr(account), "amount": amount, "unfrozen": unfrozen}


def event_args(wrapper: Any, receipt: Any, name: str) -> list[dict[str, Any]]:
    """The decoded arguments of every ``name`` event ``wrapper`` emitted in ``receipt``, in order."""
    return [dict(e["args"]) for e in wrapper.events(receipt, name)]


# --------------------------------------------------------------------------------------------- a deployment


@dataclass
class World:
    """A registry and a token whose duties are held by different accounts."""

    chain: Chain
    registry: InvestorRegistry
    token: SecurityToken[Any]
    admin: LocalAccount  # DEFAULT_ADMIN_ROLE of token and registry, registrar
    issuer: LocalAccount
    agent: LocalAccount
    pauser: LocalAccount
    compliance: LocalAccount
    treasury: LocalAccount
    people: dict[str, LocalAccount] = field(default_factory=dict)

    def u(self, amount: Any) -> int:
        """Token units -> base units."""
        return self.token.to_units(amount)

    def comply(self, function: str, *args: Any) -> Any:
        """A COMPLIANCE_ROLE call."""
        return getattr(self.token.raw, python_name(function))(self.compliance, *args)

    def state(self, *extra: str) -> dict[str, Any]:
        return token_state(self.token, [*(a.address for a in self.people.values()), self.treasury.address, *extra])


def build_world(
    chain: Chain,
    accounts: Sequence[LocalAccount],
    *,
    decimals: int = 18,
    name: str = "HK Green Bond",
    symbol: str = "HKGB",
    kind: str = "RWAToken",
) -> World:
    """accounts[0] admin/registrar, [1] issuer, [2] agent, [3] pauser, [4] compliance, [5] treasury; the token is
    of ``kind`` (a key of ``_kinds.FACTORIES``: RWAToken or an asset token)."""
    admin, issuer, agent, pauser, compliance, treasury = accounts[:6]
    registry = InvestorRegistry.deploy(chain, admin)
    roles = TokenRoles(
        issuers=[issuer.address],
        agents=[agent.address],
        pausers=[pauser.address],
        compliance_admins=[compliance.address],
    )
    token = FACTORIES[kind](chain, admin, TokenSpec(name, symbol, decimals, registry, treasury.address, roles))
    return World(chain, registry, token, admin, issuer, agent, pauser, compliance, treasury)
