"""The one transaction sender everything in hktoken goes through.

It signs locally, tracks nonces itself (re-reading them after a snapshot revert or a "nonce too low"),
prices EIP-1559 fees from the latest block, simulates before sending so that a revert costs nothing
and raises the decoded custom error, and waits for the receipt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError
from web3.types import TxParams, TxReceipt, Wei

from hktoken.errors import ChainError, TransactionReverted, node_unreachable, rpc_error_message

if TYPE_CHECKING:
    from hktoken.chain.connection import Chain

GAS_MARGIN_PERCENT = 20
RECEIPT_TIMEOUT_SECONDS = 120.0


class TransactionSender:
    """Builds, signs, sends and confirms transactions for one chain."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self._nonces: dict[str, int] = {}

    def reset_nonces(self) -> None:
        """Forget tracked nonces (after a revert to a snapshot rewound them on chain)."""
        self._nonces.clear()

    def _next_nonce(self, address: ChecksumAddress) -> int:
        if address not in self._nonces:
            self._nonces[address] = self._chain.w3.eth.get_transaction_count(address, "pending")
        nonce = self._nonces[address]
        self._nonces[address] = nonce + 1
        return nonce

    def _fees(self) -> dict[str, int]:
        w3 = self._chain.w3
        base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
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
            return int(self._chain.w3.eth.estimate_gas(tx, "pending"))
        except ContractLogicError as exc:
            raise self._chain.decoder.from_exception(exc) from None
        except Web3RPCError as exc:  # e.g. the node's gas cap: too large a batch
            raise ChainError(
                f"the node refused to simulate the transaction ({rpc_error_message(exc)})",
                fix="send less in one transaction (split large batches)",
            ) from exc
        except requests.RequestException as exc:
            raise node_unreachable(self._chain.rpc_url, exc) from exc

    def send(
        self,
        signer: LocalAccount,
        to: ChecksumAddress | None,
        data: HexStr,
        *,
        value: int = 0,
        gas: int | None = None,
    ) -> TxReceipt:
        """Send one transaction and return its successful receipt, or raise TransactionReverted."""
        if gas is None:
            gas = self.simulate(signer, to, data, value) * (100 + GAS_MARGIN_PERCENT) // 100
        tx: dict[str, Any] = {
            "chainId": self._chain.chain_id,
            "from": signer.address,
            "data": data,
            "value": value,
            "gas": gas,
            "type": 2,
            **self._fees(),
        }
        if to is not None:
            tx["to"] = to
        tx_hash = self._send_signed(signer, tx)
        try:
            receipt = self._chain.w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=RECEIPT_TIMEOUT_SECONDS, poll_latency=0.05
            )
        except requests.RequestException as exc:
            raise node_unreachable(self._chain.rpc_url, exc) from exc
        except TimeExhausted as exc:
            raise ChainError(
                f"transaction {tx_hash} was not mined within {RECEIPT_TIMEOUT_SECONDS:.0f}s",
                fix="check that the node is mining, then look the hash up again",
            ) from exc
        if receipt["status"] != 1:
            raise self._replay_failure(tx, receipt, tx_hash)
        return receipt

    def _send_signed(self, signer: LocalAccount, tx: dict[str, Any]) -> HexStr:
        w3 = self._chain.w3
        for attempt in range(2):
            tx["nonce"] = self._next_nonce(signer.address)
            raw = signer.sign_transaction(tx).raw_transaction
            try:
                return HexStr(w3.to_hex(w3.eth.send_raw_transaction(raw)))
            except Web3RPCError as exc:
                self._nonces.pop(signer.address, None)  # whatever happened, re-read the nonce next time
                if attempt == 0 and "nonce" in str(exc).lower():
                    continue  # someone else used it: retry once with the node's count
                raise ChainError(f"the node refused the transaction ({rpc_error_message(exc)})") from exc
            except requests.RequestException as exc:
                self._nonces.pop(signer.address, None)
                raise node_unreachable(self._chain.rpc_url, exc) from exc
        raise ChainError("the node refused the transaction twice for its nonce")  # pragma: no cover

    def _replay_failure(self, tx: dict[str, Any], receipt: TxReceipt, tx_hash: HexStr) -> TransactionReverted:
        """A mined transaction failed after a passing simulation (the block changed something: time,
        an earlier transaction). Ask the node's tracer for the exact revert data; else replay it."""
        try:
            trace = self._chain.rpc("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
        except ChainError:
            trace = None
        output = trace.get("output") if isinstance(trace, dict) else None
        if isinstance(output, str) and len(output) >= 10:
            return self._chain.decoder.decode(output, tx_hash=tx_hash)
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
