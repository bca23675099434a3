"""What every demo story shares: the cast of signers, the record of steps (what happened on chain, its gas and
transactions), time travel on a dev node, and a DvP trade signed by both parties.

A story is a plain function ``run_<asset>_story(chain, cast) -> Story``; the CLI only prints the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3.types import TxReceipt

from hktoken.chain.connection import Chain
from hktoken.chain.signers import dev_accounts
from hktoken.contracts.base import ERC20Wrapper
from hktoken.contracts.dvp import DvPSettlement
from hktoken.contracts.registry import InvestorRegistry
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.errors import ChainError
from hktoken.models.dvp import Trade
from hktoken.models.investor import Investor, InvestorClass
from hktoken.reports.captable import CapTable
from hktoken.units import format_units

ROLES = ("admin", "issuer", "agent", "treasury", "professional", "broker", "retail", "unverified", "auditor")
"""The people of every story, in the order they take the node's dev accounts."""
GAS_ETHER = 10**20  # 100 ether for each derived account's gas (dev nodes only)


@dataclass(frozen=True)
class Cast:
    """Who signs what. ``admin`` deploys and administers; the others are named by their duty."""

    admin: LocalAccount
    issuer: LocalAccount
    agent: LocalAccount
    treasury: LocalAccount
    professional: LocalAccount
    broker: LocalAccount
    retail: LocalAccount
    unverified: LocalAccount
    auditor: LocalAccount

    @classmethod
    def of(cls, accounts: Sequence[LocalAccount]) -> Cast:
        """The cast from (at least nine) accounts, in :data:`ROLES` order."""
        if len(accounts) < len(ROLES):
            raise ValueError(f"a demo needs {len(ROLES)} accounts, got {len(accounts)}")
        return cls(*accounts[: len(ROLES)])


def require_time_travel(chain: Chain) -> None:
    """Every story moves the clock (coupon dates, maturity, NAV ages): refuse, before anything is sent, a node
    that cannot (ChainError naming the node and the fix)."""
    if chain.known_dialect() is None:
        version = str(chain.rpc("web3_clientVersion")).strip() or "no client version"
        raise ChainError(
            f"{chain.rpc_url} ({version}) is not a dev node, and the demo must move the clock "
            "(coupon dates, maturity, NAV ages): nothing was sent",
            fix="run `hktoken demo` without --rpc-url (it starts its own anvil), or point it at anvil "
            "(`hktoken node`) or Hardhat's node",
        )


def dev_cast_available(chain: Chain) -> bool:
    """The node is a dev node whose default-mnemonic accounts are funded (a fresh anvil or Hardhat node)."""
    if chain.known_dialect() is None:
        return False
    return int(chain.w3.eth.get_balance(dev_accounts(1)[0].address)) > 0


def dev_cast() -> Cast:
    """The node's dev accounts (anvil's and Hardhat's default test mnemonic)."""
    return Cast.of(dev_accounts(len(ROLES)))


def derived_cast(chain: Chain, admin: LocalAccount) -> Cast:
    """``admin`` (a key the user gives) and one deterministic account per other duty, derived from the admin's
    address, each given gas money on the dev node (the demo needs one anyway, for time travel)."""
    others = [Account.from_key(keccak(text=f"hktoken demo:{admin.address}:{role}")) for role in ROLES[1:]]
    for account in others:
        chain.set_balance(account.address, GAS_ETHER)
    return Cast.of([admin, *others])


def travel_to(chain: Chain, moment: datetime) -> None:
    """Mine an empty block at ``moment`` (a dev node's clock only moves forward)."""
    chain.set_next_block_timestamp(int(moment.timestamp()))
    chain.mine()


def chain_now(chain: Chain) -> datetime:
    """The latest block's time."""
    return datetime.fromtimestamp(chain.timestamp(), tz=UTC)


def units(value: Decimal, symbol: str) -> str:
    """``1,250.5 HKGB``: grouped thousands, no exponent, no trailing zeros."""
    text = format_units(value)
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{grouped}{'.' + fraction if fraction else ''} {symbol}"


@dataclass(frozen=True)
class Transaction:
    """One transaction a step sent."""

    tx_hash: str
    block: int
    gas: int

    def as_dict(self) -> dict[str, Any]:
        return {"tx_hash": self.tx_hash, "block": self.block, "gas": self.gas}


@dataclass(frozen=True)
class Step:
    """One step of a story: ``what`` happened on chain (addresses, amounts in token units, a decoded refusal), the
    transactions it sent (none for a refusal) and their gas."""

    chapter: str
    name: str
    what: str
    transactions: tuple[Transaction, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def gas(self) -> int:
        """Gas used by every transaction of the step."""
        return sum(t.gas for t in self.transactions)

    @property
    def tx_hash(self) -> str | None:
        """The step's (last) transaction, None when it sent nothing."""
        return self.transactions[-1].tx_hash if self.transactions else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "chapter": self.chapter,
            "name": self.name,
            "what": self.what,
            "gas": self.gas,
            "tx_hash": self.tx_hash,
            "transactions": [t.as_dict() for t in self.transactions],
            **({"data": self.data} if self.data else {}),
        }


@dataclass
class Story:
    """A story's record: its steps in order, the figures it ends with, and the cap tables it shows."""

    asset: str
    title: str
    chain_id: int
    steps: list[Step] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)
    cap_tables: dict[str, CapTable] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)
    _chapter: str = ""

    def chapter(self, title: str) -> None:
        """Start a chapter: the steps that follow belong to it."""
        self._chapter = title

    def sent(self, name: str, what: str, receipts: TxReceipt | Sequence[TxReceipt], **data: Any) -> Step:
        """Record a step that sent transactions."""
        batch = [receipts] if isinstance(receipts, Mapping) else list(receipts)
        step = Step(self._chapter, name, what, tuple(_transaction(r) for r in batch), dict(data))
        self.steps.append(step)
        return step

    def noted(self, name: str, what: str, **data: Any) -> Step:
        """Record a step that sent nothing (a pre-check, a refusal)."""
        step = Step(self._chapter, name, what, (), dict(data))
        self.steps.append(step)
        return step

    def step(self, name: str) -> Step:
        """The step called ``name`` (KeyError if there is none)."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    @property
    def gas(self) -> int:
        """Gas of every transaction of the story."""
        return sum(s.gas for s in self.steps)

    @property
    def transaction_count(self) -> int:
        """How many transactions the story sent."""
        return sum(len(s.transactions) for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "asset": self.asset,
            "title": self.title,
            "chain_id": self.chain_id,
            "addresses": self.addresses,
            "steps": [s.as_dict() for s in self.steps],
            "gas": self.gas,
            "transactions": self.transaction_count,
            "figures": self.figures,
            "cap_tables": {name: table.as_dict() for name, table in self.cap_tables.items()},
        }


def _transaction(receipt: TxReceipt) -> Transaction:
    return Transaction(HexBytes(receipt["transactionHash"]).to_0x_hex(), receipt["blockNumber"], receipt["gasUsed"])


def approve_max(token: ERC20Wrapper[Any], owner: LocalAccount, spender: str) -> TxReceipt:
    """A maximal allowance (never rewritten on use, so later settlements stay cheap)."""
    receipt: TxReceipt = token.raw.approve(owner, spender, 2**256 - 1)
    return receipt


def signed_trade(
    dvp: DvPSettlement,
    *,
    seller: LocalAccount,
    buyer: LocalAccount,
    asset: ERC20Wrapper[Any],
    amount: Decimal,
    payment: ERC20Wrapper[Any],
    price: Decimal,
    submitter: LocalAccount,
) -> tuple[Trade, bytes, bytes]:
    """A trade of ``amount`` of ``asset`` for ``price`` of ``payment``, valid for a day of chain time from now,
    submittable only by ``submitter``, signed by both parties (EIP-712)."""
    expiry = chain_now(dvp.chain) + timedelta(days=1)
    if expiry <= datetime.now(UTC):  # a node whose clock is behind the wall clock: the model wants a future expiry
        expiry = datetime.now(UTC) + timedelta(days=1)
    trade = dvp.trade(
        seller=seller.address, buyer=buyer.address, asset=asset, asset_amount=amount, payment=payment,
        payment_amount=price, expiry=expiry, submitter=submitter.address,
    )  # fmt: skip
    return trade, dvp.sign(trade, seller), dvp.sign(trade, buyer)


def block_mark(chain: Chain) -> int:
    """The latest block number: pass it to :func:`receipts_since` to collect what a wrapper sent after it."""
    return int(chain.w3.eth.block_number)


def receipts_since(chain: Chain, block: int, sender: str) -> list[TxReceipt]:
    """The receipts of every transaction ``sender`` had mined after ``block`` (the wrappers' deployments send
    several and return the contract, not the receipts)."""
    found: list[TxReceipt] = []
    for number in range(block + 1, block_mark(chain) + 1):
        for tx in chain.w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if isinstance(tx, Mapping) and str(tx["from"]).lower() == sender.lower():
                found.append(chain.w3.eth.get_transaction_receipt(tx["hash"]))
    return found


HONG_KONG = 344
KYC_DAYS = 5 * 365


@dataclass(frozen=True)
class Market:
    """What every story trades on: the investor registry, the HKD stablecoin and the DvP contract."""

    registry: InvestorRegistry
    hkd: HKDStablecoin
    dvp: DvPSettlement


def deploy_market(story: Story, chain: Chain, admin: LocalAccount) -> Market:
    """Deploy the registry, the HKD stablecoin and the DvP contract, one step each."""
    mark = block_mark(chain)
    registry = InvestorRegistry.deploy(chain, admin)
    story.sent("registry", f"investor registry at {registry.address}", receipts_since(chain, mark, admin.address))
    mark = block_mark(chain)
    hkd = HKDStablecoin.deploy(chain, admin)
    story.sent("hkd-token", f"HKD stablecoin (6 decimals) at {hkd.address}", receipts_since(chain, mark, admin.address))
    mark = block_mark(chain)
    dvp = DvPSettlement.deploy(chain, admin)
    story.sent("dvp", f"DvP settlement at {dvp.address}", receipts_since(chain, mark, admin.address))
    story.addresses.update(registry=registry.address, hkd=hkd.address, dvp=dvp.address)
    return Market(registry, hkd, dvp)


def onboard_investors(
    story: Story, market: Market, admin: LocalAccount, people: Sequence[tuple[str, LocalAccount, InvestorClass, bool]]
) -> None:
    """Register (id, wallet, class, omnibus) investors in Hong Kong with five years of KYC, in one step."""
    expiry = chain_now(market.registry.chain).replace(microsecond=0) + timedelta(days=KYC_DAYS)
    investors = [
        Investor(id=name, wallets=[wallet.address], country=HONG_KONG, investor_class=klass, kyc_expiry=expiry,
                 omnibus=omnibus)
        for name, wallet, klass, omnibus in people
    ]  # fmt: skip
    listed = ", ".join(
        f"{name} ({'omnibus account, ' if omnibus else ''}{klass.name.lower()}) {wallet.address}"
        for name, wallet, klass, omnibus in people
    )
    story.sent(
        "register",
        f"registered {listed}; all in Hong Kong, KYC valid to {expiry:%Y-%m-%d}",
        market.registry.register(admin, investors),
    )
