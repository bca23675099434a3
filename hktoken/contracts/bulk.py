"""Bulk registration, issuance and coupon push: batched reads, node-sized batch transactions, pipelined sending.

Validation reads go to the node in JSON-RPC batch requests (one HTTP round trip per 200 reads, not one per row).
Gas per row is measured by estimating a one-row and a many-row batch and scaling; then
:func:`hktoken.chain.limits.rows_per_batch` fits as many rows as the node allows into each transaction. Calldata is
encoded with :class:`hktoken.abi.Calldata` (web3's ``encode_abi`` costs milliseconds a call).

The ``*_calls`` functions only plan (they send nothing); ``register_investors_bulk``, ``issue_bulk`` and
``pay_coupons_bulk`` plan and send in one go, without a journal. :mod:`hktoken.bulk` runs them journaled and
resumable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr

from hktoken.abi import Calldata
from hktoken.chain.bulk import BulkCall, BulkResult, BulkSender, Progress
from hktoken.chain.limits import node_limits, rows_per_batch
from hktoken.chain.sender import GAS_MARGIN_MIN, GAS_MARGIN_PERCENT
from hktoken.errors import SpecError
from hktoken.models.common import to_address
from hktoken.models.investor import Investor

if TYPE_CHECKING:
    from hktoken.chain.connection import Chain
    from hktoken.contracts.bond import BondPayingAgent
    from hktoken.contracts.registry import InvestorRegistry
    from hktoken.contracts.token import SecurityToken

_PROBE_ROWS = 20
_SPREAD_PROBES = 8
READ_BATCH_SIZE = 1_000
LOOKUP_CHUNK = 2_000
"""Ids or wallets per ``registrationsOf`` call: 64 KB of arguments and of answer."""
"""eth_calls per JSON-RPC batch request: a few hundred bytes each, far inside anvil's 2 MiB body limit."""


def _measure(
    chain: Chain, signer: LocalAccount, to: ChecksumAddress, encode_rows: Callable[[int, int], str], rows: int
) -> tuple[int, int, int]:
    """(fixed gas, gas per row, calldata bytes per row) of a batch function.

    The slope comes from a 1-row and a many-row estimate of the first rows; then up to ``_SPREAD_PROBES`` single
    rows spread over the whole list are estimated too, and the most expensive row sets the per-row gas. Rows can
    differ (a coupon to a holder who already holds the stablecoin costs about 17,000 gas less than to one who does
    not): the batches' gas limit must hold for a batch of the costliest kind."""
    many = max(2, min(_PROBE_ROWS, rows))
    one_data, many_data = encode_rows(0, 1), encode_rows(0, many)
    one = chain.sender.simulate(signer, to, HexStr(one_data))
    several = chain.sender.simulate(signer, to, HexStr(many_data))
    per_row = max(-(-(several - one) // (many - 1)), 1)
    fixed = max(one - per_row, 0)
    if rows > many:
        spread = sorted({many + (rows - many) * k // _SPREAD_PROBES for k in range(_SPREAD_PROBES)})
        for index in spread:
            per_row = max(per_row, chain.sender.simulate(signer, to, HexStr(encode_rows(index, 1))) - fixed)
    per_byte = max(-(-(len(many_data) - len(one_data)) // (2 * (many - 1))), 1)
    return fixed, per_row, per_byte


def batch_calls(
    chain: Chain,
    signer: LocalAccount,
    to: ChecksumAddress,
    encode_rows: Callable[[int, int], str],
    count: int,
    *,
    tx_gas_cap: int | None = None,
    max_rows: int | None = None,
    exact: bool = False,
) -> list[BulkCall]:
    """``count`` rows cut into node-sized batch transactions; ``encode_rows(start, n)`` gives the calldata of rows
    ``start .. start + n``. Each call records its rows (``first_row``, ``row_count``).

    Sizes come from the first rows' gas; ``exact`` (for rows that cost different amounts, such as fund claims of
    subscriptions and redemptions) estimates every batch as well and takes the largest."""
    if count == 0:
        return []
    fixed, per_row, per_byte = _measure(chain, signer, to, encode_rows, count)
    size = rows_per_batch(
        node_limits(chain, tx_gas_cap=tx_gas_cap), fixed_gas=fixed, gas_per_row=per_row, bytes_per_row=per_byte
    )
    if max_rows is not None:
        size = max(1, min(size, max_rows))
    # Every batch gets the gas limit of a full one (gas not used is not paid for): a block builder that skips a
    # transaction too big for the rest of its block then never finds a later, smaller one that fits, and anvil
    # 1.7.1 drops a transaction it finds that way (see BulkSender._resubmit_forgotten).
    full = fixed + per_row * min(size, count)
    if exact:
        full = max(
            chain.sender.simulate(signer, to, HexStr(encode_rows(start, min(size, count - start))))
            for start in range(0, count, size)
        )
    gas = full + max(full * GAS_MARGIN_PERCENT // 100, GAS_MARGIN_MIN)
    return [
        BulkCall(to, HexStr(encode_rows(start, min(size, count - start))), gas, first_row=start,
                 row_count=min(size, count - start))
        for start in range(0, count, size)
    ]  # fmt: skip


def read_many(chain: Chain, to: ChecksumAddress, calldata: Sequence[str], block: str = "latest") -> list[bytes]:
    """The raw answers of ``eth_call``s to ``to``, in JSON-RPC batch requests."""
    reads = [("eth_call", [{"to": to, "data": data}, block]) for data in calldata]
    answers = BulkSender(chain, rpc_batch_size=READ_BATCH_SIZE).batch(reads)
    out = []
    for answer in answers:
        if "error" in answer:
            raise SpecError(f"a read of {to} failed: {answer['error'].get('message', answer['error'])}",
                            fix="check the contract address")  # fmt: skip
        out.append(bytes.fromhex(str(answer["result"])[2:]))
    return out


def _word(raw: bytes, index: int = 0) -> int:
    return int.from_bytes(raw[32 * index : 32 * index + 32], "big")


def _registrations(
    chain: Chain, registry: InvestorRegistry, ids: Sequence[bytes], wallets: Sequence[str]
) -> tuple[list[int], list[bytes]] | None:
    """``registrationsOf`` in chunks of ``LOOKUP_CHUNK`` (one batch request), or None when the registry lacks it."""
    encode = Calldata(registry.artifact.abi, "registrationsOf")
    probe = BulkSender(chain).batch([("eth_call", [{"to": registry.address, "data": encode([], [])}, "latest"])])[0]
    if "error" in probe or len(str(probe.get("result", ""))) < 2 + 4 * 64:  # an older registry: no such function
        return None
    size = max(len(ids), len(wallets))
    chunks = [(ids[i : i + LOOKUP_CHUNK], wallets[i : i + LOOKUP_CHUNK]) for i in range(0, size, LOOKUP_CHUNK)]
    raws = read_many(chain, registry.address, [encode(list(a), list(b)) for a, b in chunks])
    records: list[int] = []
    owners: list[bytes] = []
    for raw in raws:
        words, ids_ = chain.w3.codec.decode(["uint256[]", "bytes32[]"], raw)
        records.extend(int(w) for w in words)
        owners.extend(bytes(o) for o in ids_)
    return records, owners


def _profile(word: int) -> tuple[int, int, int, int, bool, bool, bool, bool]:
    """A packed profile word (contracts/compliance/PackedProfile.sol) as the Profile tuple."""
    return (word & (2**48 - 1), (word >> 48) & (2**64 - 1), (word >> 112) & 0xFFFF, (word >> 128) & 0xFF,
            bool((word >> 136) & 0xFF), bool((word >> 144) & 0xFF), bool((word >> 152) & 0xFF),
            bool((word >> 160) & 0xFF))  # fmt: skip


def registry_records(
    chain: Chain, registry: InvestorRegistry, ids: Sequence[bytes]
) -> list[tuple[int, int, int, int, bool, bool, bool, bool]]:
    """``investor(id)`` for every id (the Profile fields; key 0 = not registered): one ``registrationsOf`` call per
    2,000 ids, or, on a registry without it, one batched ``eth_call`` per id."""
    found = _registrations(chain, registry, ids, [])
    if found is not None:
        return [_profile(word) for word in found[0]]
    encode = Calldata(registry.artifact.abi, "investor")
    raws = read_many(chain, registry.address, [encode(i) for i in ids])
    return [
        (_word(r, 0), _word(r, 1), _word(r, 2), _word(r, 3), bool(_word(r, 4)), bool(_word(r, 5)), bool(_word(r, 6)),
         bool(_word(r, 7)))
        for r in raws
    ]  # fmt: skip


def owners_of(chain: Chain, registry: InvestorRegistry, wallets: Sequence[str]) -> list[bytes]:
    """``investorOf(wallet)`` for every wallet (32 zero bytes = never registered), as ``registry_records``."""
    found = _registrations(chain, registry, [], wallets)
    if found is not None:
        return found[1]
    encode = Calldata(registry.artifact.abi, "investorOf")
    return [raw[:32] for raw in read_many(chain, registry.address, [encode(w) for w in wallets])]


def wallets_of_many(chain: Chain, registry: InvestorRegistry, ids: Sequence[bytes]) -> list[list[ChecksumAddress]]:
    """``walletsOf(id)`` for every investor id, batched (:meth:`InvestorRegistry.wallets_of` for many)."""
    encode = Calldata(registry.artifact.abi, "walletsOf")
    raws = read_many(chain, registry.address, [encode(i) for i in ids])
    return [[to_address(w) for w in chain.w3.codec.decode(["address[]"], raw)[0]] for raw in raws]


def balances_of(chain: Chain, token: SecurityToken[Any], wallets: Sequence[str]) -> list[int]:
    """``balanceOf(wallet)`` in base units for every wallet, batched."""
    encode = Calldata(token.artifact.abi, "balanceOf")
    return [_word(raw) for raw in read_many(chain, token.address, [encode(w) for w in wallets])]


def claimable_of(chain: Chain, agent: BondPayingAgent, holders: Sequence[str]) -> list[int]:
    """``claimable(holder)`` in payment-token base units for every holder, batched."""
    encode = Calldata(agent.artifact.abi, "claimable")
    return [_word(raw) for raw in read_many(chain, agent.address, [encode(h) for h in holders])]


def registered_ids(chain: Chain, registry: InvestorRegistry, investors: Sequence[Investor]) -> set[bytes]:
    """The ids of ``investors`` already on the register, read in JSON-RPC batch requests."""
    records = registry_records(chain, registry, [i.id_bytes for i in investors])
    return {i.id_bytes for i, record in zip(investors, records, strict=True) if record[0] != 0}


def register_calls(
    chain: Chain,
    signer: LocalAccount,
    registry: InvestorRegistry,
    investors: Sequence[Investor],
    *,
    tx_gas_cap: int | None = None,
    max_rows: int | None = None,
) -> list[BulkCall]:
    """``batchRegisterInvestors`` transactions for ``investors`` (each with its first wallet), planned, not sent."""
    encode = Calldata(registry.artifact.abi, "batchRegisterInvestors")

    def rows(start: int, n: int) -> str:
        part = investors[start : start + n]
        return encode(
            [i.id_bytes for i in part],
            [i.wallets[0] for i in part],
            [i.country for i in part],
            [int(i.investor_class) for i in part],
            [i.kyc_expiry_timestamp for i in part],
            [i.omnibus for i in part],
        )

    return batch_calls(chain, signer, registry.address, rows, len(investors), tx_gas_cap=tx_gas_cap,
                       max_rows=max_rows)  # fmt: skip


def add_wallet_calls(
    chain: Chain,
    signer: LocalAccount,
    registry: InvestorRegistry,
    links: Sequence[tuple[bytes, str]],
    *,
    tx_gas_cap: int | None = None,
    max_rows: int | None = None,
) -> list[BulkCall]:
    """``batchAddWallets`` transactions for ``(investor id, wallet)`` pairs, planned, not sent."""
    encode = Calldata(registry.artifact.abi, "batchAddWallets")

    def rows(start: int, n: int) -> str:
        part = links[start : start + n]
        return encode([i for i, _ in part], [w for _, w in part])

    return batch_calls(chain, signer, registry.address, rows, len(links), tx_gas_cap=tx_gas_cap, max_rows=max_rows)


def mint_calls(
    chain: Chain,
    signer: LocalAccount,
    token: SecurityToken[Any],
    mints: Sequence[tuple[str, int]],
    *,
    tx_gas_cap: int | None = None,
    max_rows: int | None = None,
) -> list[BulkCall]:
    """``batchMint`` transactions for ``(wallet, base units)`` pairs, planned, not sent."""
    encode = Calldata(token.artifact.abi, "batchMint")

    def rows(start: int, n: int) -> str:
        part = mints[start : start + n]
        return encode([w for w, _ in part], [a for _, a in part])

    return batch_calls(chain, signer, token.address, rows, len(mints), tx_gas_cap=tx_gas_cap, max_rows=max_rows)


def push_calls(
    chain: Chain,
    signer: LocalAccount,
    agent: BondPayingAgent,
    holders: Sequence[str],
    *,
    tx_gas_cap: int | None = None,
    max_rows: int | None = None,
) -> list[BulkCall]:
    """``payCoupons`` transactions for ``holders``, planned, not sent."""
    encode = Calldata(agent.artifact.abi, "payCoupons")

    def rows(start: int, n: int) -> str:
        return encode(list(holders[start : start + n]))

    return batch_calls(chain, signer, agent.address, rows, len(holders), tx_gas_cap=tx_gas_cap, max_rows=max_rows)


def register_investors_bulk(
    chain: Chain,
    signer: LocalAccount,
    registry: InvestorRegistry,
    investors: Sequence[Investor],
    *,
    tx_gas_cap: int | None = None,
    progress: Progress | None = None,
    before_send: Callable[[Sequence[Any]], None] | None = None,
) -> BulkResult:
    """Register the investors not yet on the register (one wallet each), pipelined in node-sized batches."""
    if any(len(i.wallets) != 1 for i in investors):
        raise SpecError("the bulk path registers one wallet per investor", fix="add further wallets with add_wallet()")
    done = registered_ids(chain, registry, investors)
    todo = [i for i in investors if i.id_bytes not in done]
    calls = register_calls(chain, signer, registry, todo, tx_gas_cap=tx_gas_cap)
    if not calls:
        return BulkResult((), ())
    return BulkSender(chain).send_all(signer, calls, progress=progress, before_send=before_send)


def issue_bulk(
    chain: Chain,
    signer: LocalAccount,
    token: SecurityToken[Any],
    mints: Sequence[tuple[ChecksumAddress, int]],
    *,
    tx_gas_cap: int | None = None,
    progress: Progress | None = None,
    before_send: Callable[[Sequence[Any]], None] | None = None,
) -> BulkResult:
    """Mint ``(wallet, base units)`` pairs with ``batchMint``, pipelined in node-sized batches (no journal: a rerun
    mints again; :func:`hktoken.bulk.onboard` is the resumable path)."""
    calls = mint_calls(chain, signer, token, mints, tx_gas_cap=tx_gas_cap)
    if not calls:
        return BulkResult((), ())
    return BulkSender(chain).send_all(signer, calls, progress=progress, before_send=before_send)


__all__ = [
    "add_wallet_calls",
    "balances_of",
    "batch_calls",
    "claimable_of",
    "issue_bulk",
    "mint_calls",
    "owners_of",
    "push_calls",
    "read_many",
    "register_calls",
    "register_investors_bulk",
    "registered_ids",
    "registry_records",
    "wallets_of_many",
]
