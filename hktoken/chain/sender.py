"""The one transaction sender everything in hktoken goes through.

It signs locally, tracks nonces itself (re-reading them after a snapshot revert or a "nonce too low"),
prices EIP-1559 fees from the latest block, simulates before sending so that a revert costs nothing
and raises the decoded custom error, and waits for the receipt.

Gas limit: the estimate plus a 20% margin, capped at what one transaction may use on the node: the latest
block's gas limit and, on nodes that enforce EIP-7825 (Osaka), 2**24 per transaction. No JSON-RPC method
reports that cap (estimates and calls ignore it), so the sender learns it the only safe way: a node that
enforces it refuses a larger transaction at submission, before it is pooled (nothing is sent, no nonce is
used); the sender then remembers the cap for this chain and resends within it. A transaction whose bare
estimate exceeds the cap raises ChainError with how many transactions to split it into.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError
from web3.types import BlockData, TxParams, TxReceipt, Wei

from hktoken.errors import ChainError, TransactionReverted, node_unreachable, rpc_error_message

if TYPE_CHECKING:
    from hktoken.chain.connection import Chain

GAS_MARGIN_PERCENT = 20
RECEIPT_TIMEOUT_SECONDS = 120.0
EIP7825_TX_GAS_CAP = 2**24  # 16,777,216
# How nodes word the EIP-7825 refusal: anvil/revm ("tx.gas_limit > env.cfg.tx_gas_limit_cap"), geth
# ("transaction gas limit too high (cap: ..., tx: ...)"), Nethermind (TxGasLimitCapExceeded), Besu.
_TX_GAS_CAP_REFUSAL = re.compile(
    r"gas_limit_cap|gaslimitcap|gas limit cap|gas limit too high|transaction gas limit", re.I
)
_ALLOWANCE = re.compile(r"allowance\D{0,3}(\d+)", re.I)


class _GasCapRefused(Exception):
    """The node refused a gas limit above its EIP-7825 per-transaction cap (nothing was sent)."""


class TransactionSender:
    """Builds, signs, sends and confirms transactions for one chain."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self._nonces: dict[str, int] = {}
        self.tx_gas_cap: int | None = None
        """The node's per-transaction gas cap (EIP-7825), once it has refused a larger transaction."""

    def reset_nonces(self) -> None:
        """Forget tracked nonces (after a revert to a snapshot rewound them on chain)."""
        self._nonces.clear()

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
            tx_hash = self._send_signed(signer, tx)
        except _GasCapRefused as refused:
            self.tx_gas_cap = EIP7825_TX_GAS_CAP
            if estimate is None:
                raise ChainError(
                    f"the node refused gas {tx['gas']:,}: above its {EIP7825_TX_GAS_CAP:,} per-transaction cap "
                    "(EIP-7825)",
                    fix=f"pass gas of at most {EIP7825_TX_GAS_CAP:,}, or none to let hktoken estimate it",
                ) from refused.__cause__
            tx["gas"] = self.gas_limit(estimate, latest)
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
        return min(estimate * (100 + GAS_MARGIN_PERCENT) // 100, cap)

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
                if tx["gas"] > EIP7825_TX_GAS_CAP and _TX_GAS_CAP_REFUSAL.search(rpc_error_message(exc)):
                    raise _GasCapRefused() from exc
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
