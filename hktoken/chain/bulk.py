"""Pipelined bulk sending: many locally signed transactions sent back to back, receipts gathered afterwards.

The one sender (:mod:`hktoken.chain.sender`) waits for each receipt, which caps a run at a few transactions a
second. A bulk run instead fetches the chain id, the EIP-1559 fees and the sender's nonce once, signs every
transaction locally with consecutive nonces, submits them all with ``eth_sendRawTransaction`` (in JSON-RPC batch
requests, so one HTTP round trip carries many), and only then gathers the receipts, again in batch requests.

Stalls: with many transactions pipelined from one sender, anvil's automine can leave some pending. When no receipt
arrives for ``stall_seconds`` while the node still holds ours, a dev node (one with a dialect) is nudged with
``evm_mine``; a real node is waited on until ``deadline_seconds``, then :class:`TransactionStuck` names the first
unmined nonce. Nothing is ever re-signed or sent twice: a transaction is identified by the hash of its signed bytes,
and the caller's ``before_send`` hook sees every signed transaction before any is broadcast (a journal records them
there, so a resumed run looks them up by hash instead of sending again).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr

from hktoken.chain.sender import SignedTransaction
from hktoken.errors import ChainError, TransactionReverted, TransactionStuck, node_unreachable

if TYPE_CHECKING:
    from hktoken.chain.connection import Chain

RPC_BATCH_SIZE = 200
"""Requests per JSON-RPC batch: well inside anvil's 2 MiB body limit for calldata of a few kilobytes each."""
DEV_STALL_SECONDS = 0.03
"""No new receipt for this long on a dev node: mine by hand. With transactions pipelined, anvil's automine mines
a block or two and then waits for the next arrival, so waiting longer only idles (measured on 3,000 investors
under the EIP-7825 cap: a 0.5 s wait made the run 15.7 s, 0.1 s 8.9 s)."""
POLL_WINDOW = 16
"""Receipts polled at a time: the first waiting ones (one signer's transactions are mined in nonce order)."""
NODE_STALL_SECONDS = 2.0
"""No new receipt for this long on any other node: check that it still holds what is waiting."""
DEADLINE_SECONDS = 120.0
"""Nothing mined for this long: TransactionStuck."""
POLL_SECONDS = 0.02

Progress = Callable[[int, int], None]
"""Called as ``progress(mined, total)`` while receipts are gathered."""


@dataclass(frozen=True)
class BulkCall:
    """One transaction of a bulk run: its target, calldata, value and gas limit (measured by the caller)."""

    to: ChecksumAddress
    data: HexStr
    gas: int
    value: int = 0
    first_row: int = 0
    """The first of the rows this call carries, in the caller's numbering (a journal records it)."""
    row_count: int = 0


@dataclass(frozen=True)
class BulkResult:
    """What a bulk run sent: the signed transactions in nonce order and their receipts' gas used."""

    sent: tuple[SignedTransaction, ...]
    gas_used: tuple[int, ...]


class BulkSender:
    """Signs, pipelines and confirms a list of transactions for one signer on one chain."""

    def __init__(
        self,
        chain: Chain,
        *,
        stall_seconds: float | None = None,
        deadline_seconds: float = DEADLINE_SECONDS,
        rpc_batch_size: int = RPC_BATCH_SIZE,
    ) -> None:
        self._chain = chain
        self.stall_seconds = stall_seconds
        """None: DEV_STALL_SECONDS on a dev node, NODE_STALL_SECONDS elsewhere."""
        self.deadline_seconds = deadline_seconds
        self.rpc_batch_size = rpc_batch_size
        self.nudges = 0
        """How many times a stalled dev node was mined by hand (``evm_mine``) in this sender's runs."""
        self.resubmitted = 0
        """How many signed transactions were sent again, unchanged, because the node had forgotten them."""

    def batch(self, requests_: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """Answers to ``requests_`` in order, in JSON-RPC batch requests of at most ``rpc_batch_size``."""
        provider = self._chain.w3.provider
        answers: list[dict[str, Any]] = []
        for chunk in _chunks(requests_, self.rpc_batch_size):
            try:
                result = provider.make_batch_request(chunk)  # type: ignore[attr-defined]
            except requests.RequestException as exc:
                raise node_unreachable(self._chain.rpc_url, exc) from exc
            if not isinstance(result, list) or len(result) != len(chunk):
                raise ChainError(f"the node at {self._chain.rpc_url} answered a batch request with {result!r:.200}")
            answers.extend(dict(answer) for answer in result)
        return answers

    def sign_all(self, signer: LocalAccount, calls: Sequence[BulkCall]) -> list[SignedTransaction]:
        """Sign ``calls`` with consecutive nonces from the node's pending count; fees and chain id fetched once."""
        w3 = self._chain.w3
        nonce = int(w3.eth.get_transaction_count(signer.address, "pending"))
        latest = w3.eth.get_block("latest")
        base_fee = int(latest.get("baseFeePerGas", 0) or 0)
        priority = 10**9
        # Full blocks raise the base fee by up to 12.5% each: a fee cap of twice today's base fee is outgrown after
        # six full blocks, and every later transaction would wait forever. Each transaction's cap is the base fee
        # after the full blocks before it in this run, plus two (only the base fee and the tip are paid); one cap
        # for the whole run would make a signer hold gas x the last cap for every transaction of it.
        block_gas = max(int(latest["gasLimit"]), 1)
        signed: list[SignedTransaction] = []
        gas_before = 0
        for offset, call in enumerate(calls):
            blocks = min(gas_before // block_gas + 2, 200)
            gas_before += call.gas
            cap = max(2 * base_fee, base_fee * 9**blocks // 8**blocks)
            fees = {"maxFeePerGas": cap + priority, "maxPriorityFeePerGas": priority}
            tx: dict[str, Any] = {
                "chainId": self._chain.chain_id,
                "to": call.to,
                "data": call.data,
                "value": call.value,
                "gas": call.gas,
                "type": 2,
                "nonce": nonce + offset,
                **fees,
            }
            raw = signer.sign_transaction(tx)
            signed.append(
                SignedTransaction(
                    HexStr(raw.raw_transaction.to_0x_hex()),
                    HexStr(raw.hash.to_0x_hex()),
                    nonce + offset,
                    signer.address,
                    call.gas,
                )
            )
        return signed

    def send_all(
        self,
        signer: LocalAccount,
        calls: Sequence[BulkCall],
        *,
        before_send: Callable[[Sequence[SignedTransaction]], None] | None = None,
        progress: Progress | None = None,
    ) -> BulkResult:
        """Sign ``calls``, hand them to ``before_send`` (a journal), broadcast them all, and return once every one
        is mined. A reverted transaction raises TransactionReverted naming its hash (the later ones still mined)."""
        signed = self.sign_all(signer, calls)
        if before_send is not None:
            before_send(signed)
        return self.broadcast(signed, progress=progress)

    def broadcast(self, signed: Sequence[SignedTransaction], *, progress: Progress | None = None) -> BulkResult:
        """Submit ``signed`` and gather every receipt; a reverted one raises TransactionReverted naming its hash."""
        receipts = self.submit_and_gather(signed, progress=progress)
        gas_used: list[int] = []
        for tx, receipt in zip(signed, receipts, strict=True):
            if int(receipt["status"], 16) != 1:
                raise TransactionReverted(f"bulk transaction {tx.tx_hash} (nonce {tx.nonce}) reverted")
            gas_used.append(int(receipt["gasUsed"], 16))
        return BulkResult(tuple(signed), tuple(gas_used))

    def submit_and_gather(
        self, signed: Sequence[SignedTransaction], *, progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        """Submit ``signed`` (again, after a crash: one the node already mined or holds is not sent twice) and
        return every receipt, reverted ones included."""
        self.submit(signed)
        return self.gather(signed, progress=progress)

    def submit(self, signed: Sequence[SignedTransaction]) -> None:
        """``eth_sendRawTransaction`` for each of ``signed`` not yet mined, in batch requests."""
        known = self._receipts([tx.tx_hash for tx in signed])
        pending = [tx for tx, receipt in zip(signed, known, strict=True) if receipt is None]
        answers = self.batch([("eth_sendRawTransaction", [tx.raw]) for tx in pending])
        for tx, answer in zip(pending, answers, strict=True):
            error = answer.get("error")
            if error is not None and not _already_known(str(error)):
                raise ChainError(
                    f"the node refused transaction {tx.tx_hash} (nonce {tx.nonce}): {error.get('message', error)}",
                    fix="the transactions before it were sent; run again to resume from the journal",
                )

    def receipts(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        """The receipt of each hash, or None when it is not mined (yet), in batch requests."""
        return self._receipts(hashes)

    def _receipts(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        answers = self.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        return [answer.get("result") for answer in answers]

    def gather(self, signed: Sequence[SignedTransaction], *, progress: Progress | None = None) -> list[dict[str, Any]]:
        """Every receipt of ``signed``, nudging a stalled dev node and raising TransactionStuck when nothing has
        been mined for ``deadline_seconds``.

        One signer's transactions are mined in nonce order, so only the first ``POLL_WINDOW`` still waiting are
        polled. No new receipt for the stall interval: a dev node is mined by hand (``evm_mine``); when that did not
        help either (or on any other node), every waiting transaction the node has forgotten is sent again."""
        receipts: dict[str, dict[str, Any]] = {}
        total = len(signed)
        last_receipt = last_action = time.monotonic()
        dev_node = self._chain.known_dialect() is not None
        stall = self.stall_seconds
        if stall is None:
            stall = DEV_STALL_SECONDS if dev_node else NODE_STALL_SECONDS
        fruitless = 0  # stall actions since the last new receipt
        while len(receipts) < total:
            waiting = [tx for tx in signed if tx.tx_hash not in receipts]
            window = waiting[:POLL_WINDOW]
            found = self._receipts([tx.tx_hash for tx in window])
            for tx, receipt in zip(window, found, strict=True):
                if receipt is not None:
                    receipts[tx.tx_hash] = receipt
            now = time.monotonic()
            if len(receipts) > total - len(waiting):
                last_receipt = last_action = now
                fruitless = 0
                if progress is not None:
                    progress(len(receipts), total)
                continue
            if now - last_receipt > self.deadline_seconds:
                first = waiting[0]
                raise TransactionStuck(
                    f"transaction {first.tx_hash} (nonce {first.nonce}) from {first.sender} is still not mined after "
                    f"{self.deadline_seconds:.0f} s without a new receipt ({len(waiting)} of {total} pending)",
                    nonce=first.nonce,
                    tx_hash=first.tx_hash,
                    fix="check the node's pool and fees; run again to resume (nothing is sent twice)",
                )
            if now - last_action > stall:
                if not dev_node or fruitless >= 2:
                    self._resubmit_forgotten(waiting)
                if dev_node:
                    self._chain.rpc("evm_mine")
                    self.nudges += 1
                fruitless += 1
                last_action = time.monotonic()
                continue
            time.sleep(POLL_SECONDS)
        return [receipts[tx.tx_hash] for tx in signed]

    def _resubmit_forgotten(self, waiting: Sequence[SignedTransaction]) -> None:
        """Send again, byte for byte, every waiting transaction the node no longer knows.

        anvil 1.7.1 drops a pooled transaction when its block builder skips an earlier one that does not fit the
        block and this one would (measured: the last, smaller batch of a run vanished from ``txpool_content``). The
        same signed bytes carry the same hash and nonce, so sending them again can never execute anything twice."""
        known = self.batch([("eth_getTransactionByHash", [tx.tx_hash]) for tx in waiting])
        forgotten = [tx for tx, answer in zip(waiting, known, strict=True) if answer.get("result") is None]
        if not forgotten:
            return
        self.resubmitted += len(forgotten)
        for tx, answer in zip(forgotten, self.batch([("eth_sendRawTransaction", [tx.raw]) for tx in forgotten]),
                              strict=True):  # fmt: skip
            error = answer.get("error")
            if error is not None and not _already_known(str(error)) and not _nonce_spent(str(error)):
                raise ChainError(
                    f"the node refused transaction {tx.tx_hash} (nonce {tx.nonce}) when it was sent again: "
                    f"{error.get('message', error)}",
                    fix="check the node's pool; run again to resume (nothing is sent twice)",
                )


BODY_BUDGET = 1_500_000
"""Bytes of parameters per JSON-RPC batch: under anvil's 2 MiB body limit with room for the JSON around them."""


def _chunks(requests_: Sequence[tuple[str, list[Any]]], most: int) -> list[list[tuple[str, list[Any]]]]:
    """``requests_`` split into batches of at most ``most`` requests and about BODY_BUDGET bytes each."""
    chunks: list[list[tuple[str, list[Any]]]] = []
    current: list[tuple[str, list[Any]]] = []
    size = 0
    for request in requests_:
        length = len(str(request[1])) + 64
        if current and (len(current) >= most or size + length > BODY_BUDGET):
            chunks.append(current)
            current, size = [], 0
        current.append(request)
        size += length
    if current:
        chunks.append(current)
    return chunks


def _nonce_spent(message: str) -> bool:
    """The node says the nonce is used: the transaction (or, if never mined, another) took it; its receipt decides."""
    lowered = message.lower()
    return "nonce too low" in lowered or "nonce has already been used" in lowered


def _already_known(message: str) -> bool:
    lowered = message.lower()
    return "already known" in lowered or "known transaction" in lowered or "already imported" in lowered
