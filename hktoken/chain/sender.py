"""The one transaction sender everything in hktoken goes through.

It signs locally, tracks nonces itself (re-reading them after a snapshot revert or a "nonce too low"),
prices EIP-1559 fees from the latest block, simulates before sending so that a revert costs nothing
and raises the decoded custom error, and waits for the receipt.

Gas limit: the estimate plus a margin of 20%, and at least 20,000 gas (one storage slot that was zero when
simulated may be non-zero by the time the transaction is mined: 22,100 gas instead of 2,200), capped at what one
transaction may use on the node: the latest block's gas limit and, on nodes that enforce EIP-7825 (Osaka), 2**24
per transaction. No JSON-RPC method reports that cap (estimates and calls ignore it), so the sender learns it the
only safe way: a node that enforces it refuses a larger transaction at submission, before it is pooled (nothing is
sent, no nonce is used); the sender then remembers the cap for this chain and resends within it. A transaction
whose bare estimate exceeds the cap raises ChainError with how many transactions to split it into.

Submission: the hash is computed from the signed bytes before sending. When the node answers the submission with
an error, the sender first asks whether the node knows that hash (Hardhat's node mines a failing transaction and
then reports the revert as an error): a mined failure raises the decoded revert with its hash, a pooled one is
waited for, and nothing is ever sent a second time for it. Only a "nonce too low"/"already known" refusal of a
transaction the node does not know is retried, once, with the node's nonce.

Waiting: while the receipt has not come, the sender checks the node's pool about once a second. A transaction held
for a nonce gap (the chain was reverted outside hktoken, so the tracked nonce is ahead of the chain's) is removed
from the dev node's pool and the same transaction is re-signed with the chain's nonce; one that vanished from the
pool, or whose nonce another transaction used, raises ChainError at once instead of waiting for the timeout.

Journaled sending (``sign`` then ``send_signed``): for a caller that must record a transaction before it goes out
(a resumable deployment), ``sign`` simulates, prices and signs with the next nonce without sending, and
``send_signed`` broadcasts those exact bytes (again, after a crash: the same signed bytes are the same transaction,
never a second one) and waits for the receipt. It never re-signs: a nonce gap, a drop or a nonce used by another
transaction raises ChainError, and the caller decides.

Simulation: against the pending block, at the timestamp the transaction will land at. On a node that mines on a
timer, anvil's pending block repeats the latest block's timestamp, so the sender simulates at the latest timestamp
plus the mining interval (a block override) instead. See docs/sender.md.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import BlockData, TxParams, TxReceipt, Wei

from hktoken.errors import (
    ChainError,
    TransactionReverted,
    connection_failure,
    node_unreachable,
    rpc_error_message,
)

if TYPE_CHECKING:
    from hktoken.chain.connection import Chain

GAS_MARGIN_PERCENT = 20
GAS_MARGIN_MIN = 20_000  # a zero slot written non-zero after the simulation: 22,100 gas instead of 2,200
RECEIPT_TIMEOUT_SECONDS = 120.0
POOL_CHECK_SECONDS = 1.0
"""How often, while waiting for a receipt, the sender asks the node what became of the transaction."""
RECEIPT_POLL_SECONDS = 0.05
_DROPPED_AFTER_CHECKS = 2  # unknown to the node on this many checks in a row: it was dropped
EIP7825_TX_GAS_CAP = 2**24  # 16,777,216
# How nodes word the EIP-7825 refusal: anvil/revm ("tx.gas_limit > env.cfg.tx_gas_limit_cap"), geth
# ("transaction gas limit too high (cap: ..., tx: ...)"), Nethermind (TxGasLimitCapExceeded), Besu.
_TX_GAS_CAP_REFUSAL = re.compile(
    r"gas_limit_cap|gaslimitcap|gas limit cap|gas limit too high|transaction gas limit", re.I
)
_ALLOWANCE = re.compile(r"allowance\D{0,3}(\d+)", re.I)
# The node already has a transaction with this nonce (mined, or pooled): geth, anvil, Nethermind, Besu, Hardhat.
_NONCE_TAKEN = re.compile(
    r"nonce too low|nonce has already been used|already known|known transaction|alreadyknown|"
    r"replacement transaction underpriced|nonce.{0,20}(is )?(too low|lower than)",
    re.I,
)
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Sent:
    """A transaction the node holds (pooled or mined), as signed."""

    tx_hash: HexStr
    nonce: int
    from_block: int  # the latest block when it was sent: a replacement is looked for from here
    revert_data: str | None = None  # the revert data of the node's error, when it mined and then answered with one


@dataclass(frozen=True)
class SignedTransaction:
    """A transaction signed by :meth:`TransactionSender.sign` and not yet sent: what a journal keeps so that it can
    send exactly this transaction again (the same bytes, hence the same hash and nonce)."""

    raw: HexStr
    tx_hash: HexStr
    nonce: int
    sender: ChecksumAddress
    gas: int


class _GasCapRefused(Exception):
    """The node refused a gas limit above its EIP-7825 per-transaction cap (nothing was sent)."""


class TransactionSender:
    """Builds, signs, sends and confirms transactions for one chain."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self._nonces: dict[str, int] = {}
        self.tx_gas_cap: int | None = None
        """The node's per-transaction gas cap (EIP-7825), once it has refused a larger transaction."""
        self._reports_mining_mode = True  # until the node says it does not know anvil_getAutomine

    def reset_nonces(self) -> None:
        """Forget tracked nonces, so the next transaction of each account uses the node's count. Call it after
        reverting a snapshot with another tool (``Chain.revert`` calls it); see docs/sender.md."""
        self._nonces.clear()

    def peek_nonce(self, address: ChecksumAddress) -> int:
        """The nonce the next transaction :meth:`sign` makes for ``address`` will have (nothing is reserved)."""
        if address in self._nonces:
            return self._nonces[address]
        return int(self._chain.w3.eth.get_transaction_count(address, "pending"))

    def _next_nonce(self, address: ChecksumAddress) -> int:
        if address not in self._nonces:
            self._nonces[address] = self._chain.w3.eth.get_transaction_count(address, "pending")
        nonce = self._nonces[address]
        self._nonces[address] = nonce + 1
        return nonce

    def _fees(self, latest: BlockData) -> dict[str, int]:
        w3 = self._chain.w3
        base_fee = int(latest.get("baseFeePerGas", 0) or 0)
        try:
            priority = int(w3.eth.max_priority_fee)
        except Web3RPCError:
            priority = Web3.to_wei(1, "gwei")
        return {"maxFeePerGas": 2 * base_fee + priority, "maxPriorityFeePerGas": priority}

    def simulate(self, signer: LocalAccount, to: ChecksumAddress | None, data: HexStr, value: int = 0) -> int:
        """Estimate gas; a revert raises the decoded error and nothing is sent."""
        tx: TxParams = {"from": signer.address, "data": data, "value": Wei(value)}
        if to is not None:
            tx["to"] = to
        try:
            # Against the pending block: the one the transaction will land in (its number and timestamp),
            # so rules that turn on a time or block boundary (KYC expiry, lock-up) are judged as mined.
            if self._reports_mining_mode:
                return self._estimate_on_anvil(tx)
            return int(self._chain.w3.eth.estimate_gas(tx, "pending"))
        except ContractLogicError as exc:
            raise self._chain.decoder.from_exception(exc) from None
        except Web3RPCError as exc:  # e.g. more gas than a block holds: too large a batch
            message = rpc_error_message(exc)
            allowance = _ALLOWANCE.search(message)
            if allowance:
                raise ChainError(
                    f"the transaction needs more than the {int(allowance.group(1)):,} gas one transaction may use "
                    f"on this node ({message})",
                    fix="split the batch into smaller transactions",
                ) from exc
            raise ChainError(
                f"the node refused to simulate the transaction ({message})",
                fix="send less in one transaction (split large batches)",
            ) from exc
        except requests.RequestException as exc:
            raise node_unreachable(self._chain.rpc_url, exc) from exc

    def _estimate_on_anvil(self, tx: TxParams) -> int:
        """Estimate against the pending block, asking in the same round trip whether the node mines on a timer.

        On a node that mines on a timer, anvil's pending block repeats the latest block's timestamp, while the
        transaction lands in the next block, one interval later: then the estimate is made again with that timestamp
        as a block override. The mining-mode query is the node's dialect's (``anvil_getAutomine``,
        ``hardhat_getAutomine``); a node without one is trusted with its pending block from then on."""
        params = _rpc_transaction(tx)
        dialect = self._chain.known_dialect()
        method = dialect.get_automine if dialect is not None else None
        batch = getattr(self._chain.w3.provider, "make_batch_request", None)
        answers = batch([(method, []), ("eth_estimateGas", [params, "pending"])]) if batch and method else None
        if not isinstance(answers, list) or len(answers) != 2:
            self._reports_mining_mode = False
            return int(self._chain.w3.eth.estimate_gas(tx, "pending"))
        mode, estimate = answers
        if "result" not in mode:
            self._reports_mining_mode = False  # not anvil: trust the node's pending block
        elif mode["result"] is False:
            landing = self._interval_landing_timestamp()
            if landing is not None:
                return self._estimate_answer(
                    self._chain.w3.provider.make_request(
                        "eth_estimateGas",  # type: ignore[arg-type]
                        [params, "pending", None, {"time": hex(landing)}],
                    )
                )
        return self._estimate_answer(estimate)

    def _interval_landing_timestamp(self) -> int | None:
        """On an anvil that does not automine, the timestamp of the block the transaction will land in: the latest
        block's plus the mining interval; None without a timer (``--no-mining``: the pending block is the best
        guess)."""
        dialect = self._chain.known_dialect()
        if dialect is None or dialect.get_interval_mining is None:
            return None  # no way to ask for the interval: the pending block is the best guess
        interval = self._chain.rpc(dialect.get_interval_mining)
        if not isinstance(interval, int) or interval <= 0:
            return None
        pending = self._chain.w3.eth.get_block("pending")
        latest = self._chain.w3.eth.get_block("latest")
        return max(int(pending["timestamp"]), int(latest["timestamp"]) + interval)

    def _estimate_answer(self, response: Any) -> int:
        """The gas of an eth_estimateGas answer; a revert raises the decoded error, any other error Web3RPCError."""
        error = response.get("error")
        if isinstance(error, dict):
            message = str(error.get("message", error))
            data = error.get("data")
            if isinstance(data, dict):
                data = data.get("data")
            if error.get("code") == 3 or message.lower().startswith("execution reverted"):
                raise self._chain.decoder.decode(data if isinstance(data, str) else None)
            raise Web3RPCError(str(error), rpc_response=response)
        return int(str(response["result"]), 16)

    def send(
        self,
        signer: LocalAccount,
        to: ChecksumAddress | None,
        data: HexStr,
        *,
        value: int = 0,
        gas: int | None = None,
    ) -> TxReceipt:
        """Send one transaction and return its successful receipt, or raise TransactionReverted.

        Without ``gas``, the limit is the simulation's estimate plus a margin, within what one transaction may use
        on the node (see the module docstring); an explicit ``gas`` is sent as given and skips the simulation."""
        estimate = self.simulate(signer, to, data, value) if gas is None else None
        latest = self._latest_block()
        tx: dict[str, Any] = {
            "chainId": self._chain.chain_id,
            "from": signer.address,
            "data": data,
            "value": value,
            "gas": gas if estimate is None else self.gas_limit(estimate, latest),
            "type": 2,
            **self._fees(latest),
        }
        if to is not None:
            tx["to"] = to
        try:
            sent = self._submit(signer, tx, int(latest["number"]))
        except _GasCapRefused as refused:
            self.tx_gas_cap = EIP7825_TX_GAS_CAP
            if estimate is None:
                raise ChainError(
                    f"the node refused gas {tx['gas']:,}: above its {EIP7825_TX_GAS_CAP:,} per-transaction cap "
                    "(EIP-7825)",
                    fix=f"pass gas of at most {EIP7825_TX_GAS_CAP:,}, or none to let hktoken estimate it",
                ) from refused.__cause__
            tx["gas"] = self.gas_limit(estimate, latest)
            sent = self._submit(signer, tx, int(latest["number"]))
        receipt, sent = self._wait_for_receipt(signer, tx, sent)
        if receipt["status"] != 1:
            raise self._replay_failure(tx, receipt, sent)
        return receipt

    def sign(
        self, signer: LocalAccount, to: ChecksumAddress | None, data: HexStr, *, value: int = 0
    ) -> SignedTransaction:
        """Simulate (a revert raises the decoded error), price and sign a transaction with the signer's next nonce,
        without sending it; send it with :meth:`send_signed`. The nonce counts as used from here on."""
        estimate = self.simulate(signer, to, data, value)
        latest = self._latest_block()
        tx: dict[str, Any] = {
            "chainId": self._chain.chain_id,
            "from": signer.address,
            "data": data,
            "value": value,
            "gas": self.gas_limit(estimate, latest),
            "type": 2,
            "nonce": self._next_nonce(signer.address),
            **self._fees(latest),
        }
        if to is not None:
            tx["to"] = to
        signed = signer.sign_transaction(tx)
        return SignedTransaction(
            HexStr(signed.raw_transaction.to_0x_hex()),
            HexStr(signed.hash.to_0x_hex()),
            int(tx["nonce"]),
            signer.address,
            int(tx["gas"]),
        )

    def send_signed(self, signer: LocalAccount, signed: SignedTransaction) -> TxReceipt:
        """Broadcast a transaction :meth:`sign` made (for the first time, or again after a crash) and return its
        successful receipt, or raise TransactionReverted. A node that already holds it (pooled or mined) is simply
        waited on. Never re-signs: a refusal, a nonce gap, a drop or a nonce used by another transaction raises
        ChainError naming the hash and the nonce."""
        from_block = int(self._latest_block()["number"])
        sent = _Sent(signed.tx_hash, signed.nonce, from_block)
        try:
            self._chain.w3.eth.send_raw_transaction(signed.raw)
        except Web3RPCError as exc:
            self._nonces.pop(signer.address, None)
            if not self._holds(signed.tx_hash):
                raise ChainError(
                    f"the node refused transaction {signed.tx_hash} (nonce {signed.nonce}): {rpc_error_message(exc)}",
                    fix="nothing was sent; correct what the node names, then run again",
                ) from exc
            sent = _Sent(signed.tx_hash, signed.nonce, from_block, _error_data(exc))
        except ChainError as exc:  # the node did not answer: it may still have received the transaction
            self._nonces.pop(signer.address, None)
            try:
                held = self._holds(signed.tx_hash)
            except ChainError:
                raise ChainError(
                    f"the node at {self._chain.rpc_url} stopped answering while transaction {signed.tx_hash} was "
                    "being sent, so it may or may not have been received",
                    fix=f"once the node answers, look up {signed.tx_hash} before sending again",
                ) from exc
            if not held:
                raise
        tracked = self._nonces.get(signer.address)
        if tracked is not None and tracked <= signed.nonce:  # a re-broadcast after a restart
            self._nonces[signer.address] = signed.nonce + 1
        receipt, sent = self._wait_for_receipt(signer, {}, sent, resign=False)
        if receipt["status"] != 1:
            mined = self._chain.w3.eth.get_transaction(signed.tx_hash)
            tx = {"from": mined["from"], "data": mined["input"], "value": mined["value"], "gas": mined["gas"]}
            if mined.get("to"):
                tx["to"] = mined["to"]
            raise self._replay_failure(tx, receipt, sent)
        return receipt

    def _latest_block(self) -> BlockData:
        try:
            return self._chain.w3.eth.get_block("latest")
        except requests.RequestException as exc:
            raise node_unreachable(self._chain.rpc_url, exc) from exc

    def gas_limit(self, estimate: int, latest: BlockData | None = None) -> int:
        """The gas limit for a transaction estimated at ``estimate``: plus the margin, within the latest block's gas
        limit and the node's per-transaction cap; ChainError (split the batch) when even the estimate exceeds them."""
        block_limit = int((latest or self._latest_block())["gasLimit"])
        cap, what = block_limit, "the block gas limit"
        if self.tx_gas_cap is not None and self.tx_gas_cap < cap:
            cap, what = self.tx_gas_cap, "the per-transaction cap of EIP-7825"
        if estimate > cap:
            parts = -(-estimate // cap)
            raise ChainError(
                f"the transaction needs {estimate:,} gas, more than the {cap:,} one transaction may use on this node "
                f"({what})",
                fix=f"split the batch into at least {parts} transactions (at most 1/{parts} of the items each)",
            )
        return min(estimate + max(estimate * GAS_MARGIN_PERCENT // 100, GAS_MARGIN_MIN), cap)

    def _submit(self, signer: LocalAccount, tx: dict[str, Any], from_block: int) -> _Sent:
        """Sign with the next nonce and send; returns once the node holds the transaction (pooled or mined)."""
        w3 = self._chain.w3
        for attempt in range(2):
            nonce = self._next_nonce(signer.address)
            tx["nonce"] = nonce
            signed = signer.sign_transaction(tx)
            tx_hash = HexStr(signed.hash.to_0x_hex())
            try:
                w3.eth.send_raw_transaction(signed.raw_transaction)
                return _Sent(tx_hash, nonce, from_block)
            except Web3RPCError as exc:
                self._nonces.pop(signer.address, None)  # whatever happened, re-read the nonce next time
                message = rpc_error_message(exc)
                if self._holds(tx_hash):  # e.g. Hardhat: mined (and failed), then reported as an error
                    return _Sent(tx_hash, nonce, from_block, _error_data(exc))
                if attempt == 0 and _NONCE_TAKEN.search(message):
                    continue  # another transaction has the nonce, not ours: retry once with the node's count
                if tx["gas"] > EIP7825_TX_GAS_CAP and _TX_GAS_CAP_REFUSAL.search(message):
                    raise _GasCapRefused() from exc
                raise ChainError(
                    f"the node refused the transaction ({message})",
                    fix="nothing was sent; correct what the node names, then send again",
                ) from exc
            except ChainError as exc:  # the node did not answer: it may still have received the transaction
                self._nonces.pop(signer.address, None)
                try:
                    held = self._holds(tx_hash)
                except ChainError:
                    raise ChainError(
                        f"the node at {self._chain.rpc_url} stopped answering while transaction {tx_hash} was being "
                        "sent, so it may or may not have been received",
                        fix=f"once the node answers, look up {tx_hash} before sending again",
                    ) from exc
                if held:
                    return _Sent(tx_hash, nonce, from_block)
                raise  # the node never received it: nothing was sent
        raise ChainError("the node refused the transaction twice for its nonce")  # pragma: no cover

    def _holds(self, tx_hash: HexStr) -> bool:
        """Whether the node knows ``tx_hash``, mined or pooled."""
        return self._chain.rpc("eth_getTransactionByHash", [tx_hash]) is not None

    def _receipt(self, tx_hash: HexStr) -> TxReceipt | None:
        try:
            return self._chain.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None
        except requests.RequestException as exc:  # a Chain built on a plain HTTPProvider
            raise node_unreachable(self._chain.rpc_url, exc) from exc

    def _wait_for_receipt(
        self, signer: LocalAccount, tx: dict[str, Any], sent: _Sent, *, resign: bool = True
    ) -> tuple[TxReceipt, _Sent]:
        """The receipt of ``sent`` (or of its re-signed copy after a nonce gap, unless ``resign`` is false),
        checking the pool once a second."""
        try:
            return self._poll_for_receipt(signer, tx, sent, resign=resign)
        except ChainError as exc:
            if not isinstance(exc.__cause__, requests.RequestException):
                raise
            raise ChainError(
                f"the node at {self._chain.rpc_url} stopped answering while transaction {sent.tx_hash} was pending "
                f"({connection_failure(exc.__cause__)})",
                fix=f"once the node answers, look up {sent.tx_hash} before sending again",
            ) from exc.__cause__

    def _poll_for_receipt(
        self, signer: LocalAccount, tx: dict[str, Any], sent: _Sent, *, resign: bool = True
    ) -> tuple[TxReceipt, _Sent]:
        deadline = time.monotonic() + RECEIPT_TIMEOUT_SECONDS
        next_check = time.monotonic() + POOL_CHECK_SECONDS
        unknown, resynchronised = 0, False
        while True:
            receipt = self._receipt(sent.tx_hash)
            if receipt is not None:
                return receipt, sent
            now = time.monotonic()
            if now >= deadline:
                raise ChainError(
                    f"transaction {sent.tx_hash} was not mined within {RECEIPT_TIMEOUT_SECONDS:.0f}s",
                    fix="check that the node is mining, then look the hash up again",
                )
            if now >= next_check:
                next_check = now + POOL_CHECK_SECONDS
                unknown = self._check_pool(signer.address, sent, unknown)
                if unknown < 0:  # held for a nonce gap
                    if not resign or resynchronised or not self._remove_from_pool(signer.address, sent):
                        raise self._nonce_gap_error(signer.address, sent)
                    resynchronised, unknown, gapped = True, 0, sent
                    sent = self._submit(signer, tx, sent.from_block)
                    _log.warning(
                        "transaction %s had nonce %d, ahead of the chain (reverted outside hktoken?): removed it from "
                        "the pool and sent it again as %s with nonce %d",
                        gapped.tx_hash,
                        gapped.nonce,
                        sent.tx_hash,
                        sent.nonce,
                    )
                    continue
            time.sleep(RECEIPT_POLL_SECONDS)

    def _check_pool(self, address: ChecksumAddress, sent: _Sent, unknown: int) -> int:
        """What became of a transaction that has no receipt yet. Returns how many checks in a row the node did not
        know it, or -1 when the node holds it for a nonce gap; raises ChainError when it can never be mined."""
        w3 = self._chain.w3
        mined_count = w3.eth.get_transaction_count(address, "latest")
        if mined_count > sent.nonce:  # the nonce was used: by ours (a receipt now), or by another transaction
            if self._receipt(sent.tx_hash) is not None:
                return 0
            other = self._find_nonce_user(address, sent)
            if other == sent.tx_hash:
                return 0  # ours was mined; the node's receipts lag behind its blocks
            self._nonces.pop(address, None)
            raise ChainError(
                f"transaction {sent.tx_hash} will never be mined: its nonce {sent.nonce} was used by transaction "
                f"{other} (signed with the same key by another tool)",
                fix=f"check what {other} did before sending again (hktoken re-reads the nonce)",
            )
        if not self._holds(sent.tx_hash):
            if self._receipt(sent.tx_hash) is not None:
                return 0
            if unknown + 1 >= _DROPPED_AFTER_CHECKS:
                self._nonces.pop(address, None)
                raise ChainError(
                    f"transaction {sent.tx_hash} (nonce {sent.nonce}) was dropped from the node's pool before it was "
                    "mined: nothing was spent",
                    fix="send it again (hktoken re-reads the nonce)",
                )
            return unknown + 1
        if w3.eth.get_transaction_count(address, "pending") < sent.nonce:
            return -1  # nonces between the chain's and ours are missing: the node holds it back
        return 0

    def _find_nonce_user(self, address: ChecksumAddress, sent: _Sent) -> str:
        """The hash of the mined transaction from ``address`` with ``sent``'s nonce (looked for since it was sent)."""
        w3 = self._chain.w3
        latest = w3.eth.block_number
        for number in range(latest, max(sent.from_block, latest - 256) - 1, -1):
            for item in w3.eth.get_block(number, full_transactions=True)["transactions"]:
                if isinstance(item, Mapping) and item["from"] == address and item["nonce"] == sent.nonce:
                    return HexStr(item["hash"].to_0x_hex())
        return "(not found in the blocks since)"

    def _remove_from_pool(self, address: ChecksumAddress, sent: _Sent) -> bool:
        """Remove a transaction held for a nonce gap from a dev node's pool; True once the node no longer knows it
        (then it exists nowhere, so sending the same intent again cannot send it twice)."""
        dialect = self._chain.known_dialect()
        if dialect is None or dialect.drop_transaction is None:
            return False  # no dev node: no way to take it back
        try:
            self._chain.rpc(dialect.drop_transaction, [sent.tx_hash])
            if self._holds(sent.tx_hash):  # anvil drops only ready transactions, not ones queued behind a gap
                pool = self._chain.rpc("txpool_content")
                mine = [
                    tx.get("hash")
                    for part in ("pending", "queued")
                    for holder, txs in (pool.get(part) or {}).items()
                    if holder.lower() == address.lower()
                    for tx in txs.values()
                ]
                if mine != [sent.tx_hash] or dialect.remove_pool_transactions is None:
                    return False  # other transactions of this account are pooled too: leave them alone
                self._chain.rpc(dialect.remove_pool_transactions, [address])
        except ChainError:
            return False  # not anvil: no way to take it back
        if self._holds(sent.tx_hash) or self._receipt(sent.tx_hash) is not None:
            return False
        self._nonces.pop(address, None)
        return True

    def _nonce_gap_error(self, address: ChecksumAddress, sent: _Sent) -> ChainError:
        self._nonces.pop(address, None)
        chain_nonce = self._chain.w3.eth.get_transaction_count(address, "pending")
        return ChainError(
            f"transaction {sent.tx_hash} has nonce {sent.nonce} but the chain's next nonce for {address} is "
            f"{chain_nonce}: the node holds it back for the gap (was the chain reverted outside hktoken?)",
            fix="after reverting a snapshot with another tool, call chain.sender.reset_nonces() (or revert with "
            "Chain.revert, which does it); drop the held transaction from the node's pool",
        )

    def _replay_failure(self, tx: dict[str, Any], receipt: TxReceipt, sent: _Sent) -> TransactionReverted:
        """A mined transaction failed after a passing simulation (the block changed something: time,
        an earlier transaction). Ask the node's tracer for the exact revert data or its own error; else use the
        revert data the node's send error carried; else replay it."""
        tx_hash = sent.tx_hash
        try:
            trace = self._chain.rpc("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
        except ChainError:
            trace = None
        output = trace.get("output") if isinstance(trace, dict) else None
        if isinstance(output, str) and len(output) >= 10:
            return self._chain.decoder.decode(output, tx_hash=tx_hash)
        if sent.revert_data is not None and len(sent.revert_data) >= 10:
            return self._chain.decoder.decode(sent.revert_data, tx_hash=tx_hash)
        failure = trace.get("error") if isinstance(trace, dict) else None
        if isinstance(failure, str) and failure and "revert" not in failure.lower():
            return TransactionReverted(
                "OutOfGas" if "out of gas" in failure.lower() else "Failed",
                {},
                tx_hash=tx_hash,
                message=f"transaction {tx_hash} failed on chain: {failure} (gas limit {int(tx['gas']):,}, used "
                f"{int(receipt['gasUsed']):,})",
            )
        call: TxParams = {k: v for k, v in tx.items() if k in ("from", "to", "data", "value")}  # type: ignore[assignment]
        try:
            self._chain.w3.eth.call(call, receipt["blockNumber"] - 1)
        except ContractLogicError as exc:
            return self._chain.decoder.from_exception(exc, tx_hash=tx_hash)
        return TransactionReverted(
            "Revert",
            {},
            tx_hash=tx_hash,
            message=f"transaction {tx_hash} reverted on chain (out of gas, or without a reason)",
        )


def _rpc_transaction(tx: TxParams) -> dict[str, Any]:
    """A call object as JSON-RPC takes it (quantities in hex)."""
    params: dict[str, Any] = {"from": tx["from"], "data": tx["data"], "value": hex(int(tx.get("value", 0)))}
    if "to" in tx:
        params["to"] = tx["to"]
    return params


def _error_data(exc: Web3RPCError) -> str | None:
    """The revert data a node put in its error answer, if any."""
    response = exc.rpc_response or {}
    error = response.get("error") if isinstance(response, dict) else None
    data = error.get("data") if isinstance(error, dict) else None
    if isinstance(data, dict):
        data = data.get("data")
    return data if isinstance(data, str) and data.startswith("0x") else None
