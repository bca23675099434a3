"""Dev-node dialects: the non-standard JSON-RPC methods that mine, set balances, move time, snapshot
and impersonate, as each development node spells them.

The dialect is chosen from ``web3_clientVersion``. anvil answers ``anvil/v1.7.1/...`` and speaks
``anvil_*`` plus ``evm_*``; Hardhat's node (EDR) answers ``HardhatNetwork/3.../@nomicfoundation/edr/...``
and speaks ``hardhat_*`` plus ``evm_*``. A node that is neither (a real network, geth, a hosted RPC)
has no dialect: the state-control calls then fail with one ChainError that says so, while everything
standard (reads, sends, receipts) keeps working. See docs/nodes.md for what else differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from hktoken.errors import ChainError


@dataclass(frozen=True)
class Dialect:
    """The method names one kind of dev node uses for state control."""

    name: str
    mine: str
    set_balance: str
    impersonate: str
    stop_impersonating: str
    snapshot: str = "evm_snapshot"
    revert: str = "evm_revert"
    increase_time: str = "evm_increaseTime"
    set_next_block_timestamp: str = "evm_setNextBlockTimestamp"
    mine_one: str = "evm_mine"
    # What the sender asks of a dev node's pool and miner (None: this node has no such method).
    get_automine: str | None = None
    get_interval_mining: str | None = None
    drop_transaction: str | None = None
    remove_pool_transactions: str | None = None


ANVIL = Dialect(
    name="anvil",
    mine="anvil_mine",
    set_balance="anvil_setBalance",
    impersonate="anvil_impersonateAccount",
    stop_impersonating="anvil_stopImpersonatingAccount",
    get_automine="anvil_getAutomine",
    get_interval_mining="anvil_getIntervalMining",
    drop_transaction="anvil_dropTransaction",
    remove_pool_transactions="anvil_removePoolTransactions",
)
HARDHAT = Dialect(
    name="hardhat",
    mine="hardhat_mine",
    set_balance="hardhat_setBalance",
    impersonate="hardhat_impersonateAccount",
    stop_impersonating="hardhat_stopImpersonatingAccount",
    get_automine="hardhat_getAutomine",
    drop_transaction="hardhat_dropTransaction",
)
DIALECTS: tuple[Dialect, ...] = (ANVIL, HARDHAT)

# How each node names itself in web3_clientVersion (lower-cased prefix -> dialect).
_CLIENT_PREFIXES: tuple[tuple[str, Dialect], ...] = (
    ("anvil/", ANVIL),
    ("hardhatnetwork/", HARDHAT),
    ("edr/", HARDHAT),
)


def dialect_for(client_version: str, *, rpc_url: str = "the node") -> Dialect:
    """The dialect of the node that answered ``client_version``; ChainError for a node with none."""
    version = client_version.strip().lower()
    for prefix, dialect in _CLIENT_PREFIXES:
        if version.startswith(prefix):
            return dialect
    known = ", ".join(d.name for d in DIALECTS)
    raise ChainError(
        f"{rpc_url} ({client_version.strip() or 'no client version'}) speaks no dev-node dialect hktoken knows "
        f"({known}), so it cannot mine, set balances, move time, snapshot or impersonate",
        fix="run this against anvil (`hktoken node`) or Hardhat's node; a real network has no such controls",
    )
