"""Run a plan against a node, journaling every step; resume a run that stopped anywhere.

For each step, in order:

- ``done`` in the journal: nothing is sent. Its receipt must exist with status 1 and, for a deployment, the code at
  the recorded address must be the artifact's (immutables masked, :mod:`hktoken.deployment.verify`).
- ``signed`` (journaled, then the run stopped before recording the outcome): resolved by the transaction's hash.
  Mined: recorded. Pooled: waited for. Unknown to the node with its nonce still unused: the SAME signed bytes are
  broadcast again (the same transaction, not a new one). Unknown with its nonce used by another transaction: it can
  never be mined; the run stops with an error naming the step and the nonce, and signs a new transaction for the
  step only when asked to (``resign``).
- ``failed`` (mined with status 0, so its nonce is spent) or absent: a new transaction is simulated, signed,
  written to the journal, and only then sent.

``HKTOKEN_DEPLOY_FAULT=<step-id>@<point>`` (point ``journaled``, ``sent`` or ``recorded``) kills the process with
SIGKILL at that point: the crash tests use it; nothing else should.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3.exceptions import TransactionNotFound
from web3.types import Nonce, TxReceipt
from web3.utils.address import get_create_address

from hktoken.chain.connection import Chain
from hktoken.chain.sender import SignedTransaction
from hktoken.deployment.journal import Journal
from hktoken.deployment.plan import NEXT_DEPLOYMENT, Plan, Step, encode_step, uses_next_deployment
from hktoken.deployment.verify import code_matches
from hktoken.errors import ChainError, HKTokenError, SpecError, TransactionReverted

FAULT_ENV = "HKTOKEN_DEPLOY_FAULT"
FAULT_POINTS = ("journaled", "sent", "recorded")
CONFIRMATION_POLL_SECONDS = 0.5
CONFIRMATION_TIMEOUT_SECONDS = 600.0
Outcome = Literal["sent", "skipped", "resumed"]
FaultHook = Callable[[str, str], None]


@dataclass(frozen=True)
class StepResult:
    """What a run did for one step."""

    step: Step
    outcome: Outcome  # sent: a new transaction; resumed: a journaled one found mined, pooled or re-broadcast
    tx_hash: str | None = None
    block: int | None = None
    gas_used: int | None = None
    address: str | None = None
    note: str = ""


@dataclass
class DeploymentResult:
    """A whole run: one result per step, and the chain's block numbers before and after."""

    manifest: str
    first_block: int
    last_block: int
    results: list[StepResult] = field(default_factory=list)
    contracts: dict[str, str] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return sum(1 for r in self.results if r.outcome == "sent")

    @property
    def resumed(self) -> int:
        return sum(1 for r in self.results if r.outcome == "resumed")

    @property
    def skipped(self) -> int:
        return sum(1 for r in self.results if r.outcome == "skipped")

    @property
    def gas_used(self) -> int:
        return sum(r.gas_used or 0 for r in self.results if r.outcome != "skipped")

    @property
    def blocks_mined(self) -> int:
        return self.last_block - self.first_block

    def as_json(self) -> dict[str, Any]:
        """The run as one JSON object (``hktoken deploy --json``)."""
        return {
            "manifest": self.manifest,
            "sent": self.sent,
            "resumed": self.resumed,
            "skipped": self.skipped,
            "gas_used": self.gas_used,
            "blocks_mined": self.blocks_mined,
            "contracts": self.contracts,
            "steps": [
                {"id": r.step.id, "outcome": r.outcome, "tx_hash": r.tx_hash, "block": r.block,
                 "gas_used": r.gas_used, "address": r.address, "note": r.note}
                for r in self.results
            ],
        }  # fmt: skip


def _name_step(exc: HKTokenError, step_id: str) -> None:
    """Prefix an error's one line with the step it stopped (its type and fields are kept)."""
    prefix = f"step {step_id}: "
    if not str(exc).startswith(prefix):
        exc.message = prefix + exc.message
        exc.args = (prefix + str(exc), *exc.args[1:])


def env_fault() -> FaultHook | None:
    """The fault hook ``HKTOKEN_DEPLOY_FAULT`` asks for (SIGKILL at ``<step-id>@<point>``), if any."""
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return None
    step_id, _, point = wanted.rpartition("@")

    def kill(current: str, at: str) -> None:
        if current == step_id and at == point:
            os.kill(os.getpid(), signal.SIGKILL)

    return kill


class Deployer:
    """Sends a plan's steps through the chain's sender, journaling each (see the module docstring)."""

    def __init__(
        self,
        chain: Chain,
        signer: LocalAccount,
        plan: Plan,
        journal: Journal,
        *,
        confirmations: int = 1,
        resign: Collection[str] = (),
        on_step: Callable[[StepResult], None] | None = None,
        fault: FaultHook | None = None,
    ) -> None:
        if confirmations < 1:
            raise SpecError(f"confirmations {confirmations} must be at least 1", fix="pass --confirmations 1 or more")
        self.chain = chain
        self.signer = signer
        self.plan = plan
        self.journal = journal
        self.confirmations = confirmations
        self.resign = set(resign)
        self.on_step = on_step
        self.fault = fault or env_fault()

    def run(self) -> DeploymentResult:
        """Bring the chain to the plan's end, sending only what the journal does not prove done."""
        unknown = sorted(set(self.resign) - {s.id for s in self.plan.steps})
        if unknown:
            raise SpecError(f"--resign names no step of the plan: {', '.join(unknown)}", fix="use a step id")
        self._check_fingerprints()
        result = DeploymentResult(str(self.journal.path), self._block_number(), 0)
        for step in self.plan.steps:
            try:
                outcome = self._step(step)
            except ChainError as exc:  # the node went away, or refused: say which step, and that resuming works
                if exc.message.startswith(f"step {step.id}:"):
                    raise
                then = f"then run again: the deployment resumes from {self.journal.path}"
                fix = f"{exc.fix}; {then}" if exc.fix else then
                raise ChainError(f"step {step.id}: {exc.message}", fix=fix) from exc
            except HKTokenError as exc:  # a revert (decoded, typed) or bad input: the same error, naming the step
                _name_step(exc, step.id)
                raise
            result.results.append(outcome)
            if self.on_step is not None:
                self.on_step(outcome)
        result.last_block = self._block_number()
        result.contracts = {key: str(address) for key, address in self.journal.addresses().items()}
        return result

    def _block_number(self) -> int:
        return int(self.chain.rpc("eth_blockNumber"), 16)

    def _check_fingerprints(self) -> None:
        """A journaled transaction must be of the step the spec names now (before anything is sent)."""
        for step in self.plan.steps:
            entry = self.journal.entry(step.id)
            if entry is None or entry.get("status") == "failed":
                continue
            if entry.get("fingerprint") != step.fingerprint():
                raise SpecError(
                    f"step {step.id} of manifest {self.journal.path} records another action than the spec now asks "
                    "for (the spec changed after that step was sent)",
                    fix="restore the spec the deployment was started with, or deploy afresh with another --out",
                )

    def _hit(self, step: Step, point: str) -> None:
        if self.fault is not None:
            self.fault(step.id, point)

    # --- one step ----------------------------------------------------------------------------------

    def _step(self, step: Step) -> StepResult:
        entry = self.journal.entry(step.id)
        status = entry.get("status") if entry else None
        if entry is not None and status == "done":
            return self._verify_done(step, entry)
        if entry is not None and status == "signed":
            return self._resolve(step, entry)
        if entry is not None and status == "void" and step.id not in self.resign:
            raise self._void_error(step, entry)
        return self._send_new(step)

    def _send_new(self, step: Step) -> StepResult:
        addresses = self.plan.addresses(self.journal.addresses())
        sender = self.chain.sender
        nonce: int | None = None
        if uses_next_deployment(step):  # the address of the deployment after this transaction: CREATE at nonce + 1
            nonce = sender.peek_nonce(self.signer.address)
            addresses[NEXT_DEPLOYMENT] = get_create_address(self.signer.address, Nonce(nonce + 1))
        to, data = encode_step(self.chain.artifacts, step, addresses)
        signed = sender.sign(self.signer, to, data)  # a revert in the simulation raises here: nothing sent
        if nonce is not None and signed.nonce != nonce:  # never: steps are signed one at a time
            sender.reset_nonces()
            raise ChainError(f"step {step.id}: signed with nonce {signed.nonce}, not the {nonce} its arguments assume")
        expected = get_create_address(self.signer.address, Nonce(signed.nonce)) if step.action == "deploy" else None
        try:
            self.journal.record_signed(
                step.id, step.fingerprint(), raw=signed.raw, tx_hash=signed.tx_hash, nonce=signed.nonce,
                expected_address=expected,
            )  # fmt: skip
        except BaseException:
            sender.reset_nonces()  # the signed transaction never went out: its nonce is free again
            raise
        self._hit(step, "journaled")
        receipt = self._broadcast(step, signed)
        return self._record(step, receipt, "sent")

    def _broadcast(self, step: Step, signed: SignedTransaction) -> TxReceipt:
        try:
            receipt = self.chain.sender.send_signed(self.signer, signed)
        except TransactionReverted as exc:
            self.journal.record_problem(step.id, "failed", f"{exc.error}: {exc}")
            raise
        self._hit(step, "sent")
        return self._confirmed(step, receipt)

    def _record(self, step: Step, receipt: TxReceipt, outcome: Outcome, note: str = "") -> StepResult:
        deploys = step.action == "deploy"
        self.journal.record_mined(
            step.id, step.contract if deploys else None, step.artifact if deploys else None, receipt
        )
        self._hit(step, "recorded")
        entry = self.journal.steps[step.id]
        return StepResult(
            step, outcome, entry["tx_hash"], entry["block"], entry["gas_used"], entry.get("address"), note
        )

    def _resolve(self, step: Step, entry: dict[str, Any]) -> StepResult:
        """A journaled transaction whose outcome was not recorded: find it by hash, never send a new one."""
        tx_hash, nonce = HexStr(entry["tx_hash"]), int(entry["nonce"])
        receipt = self._receipt(tx_hash)
        note = "found mined"
        if receipt is None:
            known = self.chain.rpc("eth_getTransactionByHash", [tx_hash]) is not None
            if not known:
                used = self.chain.w3.eth.get_transaction_count(self.signer.address, "latest")
                if used > nonce:
                    error = f"nonce {nonce} was used by another transaction"
                    self.journal.record_problem(step.id, "void", error)
                    raise self._void_error(step, self.journal.steps[step.id])
                note = "re-broadcast the journaled transaction"
            else:
                note = "waited for the pooled transaction"
        if receipt is not None and receipt["status"] == 1:
            return self._record(step, self._confirmed(step, receipt), "resumed", note)
        signed = SignedTransaction(HexStr(entry["raw_tx"]), tx_hash, nonce, self.signer.address, 0)
        return self._record(step, self._broadcast(step, signed), "resumed", note)

    def _void_error(self, step: Step, entry: dict[str, Any]) -> ChainError:
        return ChainError(
            f"step {step.id}: its journaled transaction {entry['tx_hash']} (nonce {entry['nonce']}) was never mined, "
            f"and nonce {entry['nonce']} of {self.signer.address} has been used by another transaction, so it never "
            "will be",
            fix=f"check what the transaction with nonce {entry['nonce']} did (did another tool do this step?); "
            f"then run again with --resign {step.id} to sign a new transaction for it",
        )

    def _receipt(self, tx_hash: HexStr) -> TxReceipt | None:
        try:
            return self.chain.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None

    def _confirmed(self, step: Step, receipt: TxReceipt) -> TxReceipt:
        """The receipt once ``confirmations`` blocks include it (1: mined), re-read so a reorg is noticed."""
        if self.confirmations == 1:
            return receipt
        target = int(receipt["blockNumber"]) + self.confirmations - 1
        deadline = time.monotonic() + CONFIRMATION_TIMEOUT_SECONDS
        while self._block_number() < target:
            if time.monotonic() > deadline:
                raise ChainError(
                    f"step {step.id}: block {target} ({self.confirmations} confirmations) did not come within "
                    f"{CONFIRMATION_TIMEOUT_SECONDS:.0f}s",
                    fix="check that the node is mining (a dev node that mines only on demand never confirms), then "
                    "run again",
                )
            time.sleep(CONFIRMATION_POLL_SECONDS)
        again = self._receipt(HexStr(receipt["transactionHash"].to_0x_hex()))
        if again is None or again["blockHash"] != receipt["blockHash"]:
            raise ChainError(
                f"step {step.id}: its transaction left block {receipt['blockNumber']} (a reorganisation)",
                fix="run again: the journal resumes it by hash",
            )
        return again

    # --- a step the journal says is done ---------------------------------------------------------

    def _verify_done(self, step: Step, entry: dict[str, Any]) -> StepResult:
        tx_hash = HexStr(entry["tx_hash"])
        receipt = self._receipt(tx_hash)
        if receipt is None or receipt["status"] != 1:
            raise ChainError(
                f"step {step.id}: the manifest records transaction {tx_hash}, but this node has "
                f"{'no receipt for it' if receipt is None else 'it failed'}",
                fix="is this the chain the manifest was written on? (a reorganisation, or a node restarted without "
                "its state) deploy afresh with another --out if the chain was reset",
            )
        address = entry.get("address")
        if step.action == "deploy":
            shipped = self.chain.artifacts.get(step.artifact).deployed_bytecode
            if not address or receipt.get("contractAddress") != address:
                raise ChainError(f"step {step.id}: the manifest's address {address} is not what {tx_hash} created")
            if not code_matches(shipped, self.chain.code_at(ChecksumAddress(address))):
                raise ChainError(
                    f"step {step.id}: the code at {address} is not {step.artifact}'s (the artifacts changed since the "
                    "deployment, or the chain is not the one recorded)",
                    fix="deploy afresh with another --out, or go back to the artifacts of the deployment",
                )
        return StepResult(step, "skipped", tx_hash, entry.get("block"), entry.get("gas_used"), address)
