"""The journal of a bulk run: every signed transaction, with the rows it carries, written before it is sent.

``<out>/deployments/<chain-id>-<genesis-hash-prefix>/runs/<kind>-<input digest>.json``, one file per run input
(the same CSV file imported twice opens the same journal), rewritten atomically at every change like the
deployment manifest (:func:`hktoken.deployment.journal.write_atomically`).

Resuming (:meth:`JournaledRun.settle`) first settles every transaction the journal holds as ``signed``:

- mined: recorded ``done`` (status 1) or ``failed`` (status 0; its rows were not applied);
- not mined, and its nonce still free: the **same signed bytes** are sent again (same hash, same nonce: it can
  land once at most) and waited for;
- not mined, and its nonce taken by another transaction: recorded ``void``; its rows were not applied.

The same is done first for every other journal in the folder that this signer left with ``signed`` entries (an
earlier run over a file edited since, whose digest differs). Only then does the caller plan the rest from the
chain's state, so a transaction still in a node's pool can never be doubled by a new one carrying the same rows.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr

from hktoken.chain.bulk import BulkCall, BulkSender, Progress
from hktoken.chain.connection import Chain
from hktoken.chain.sender import SignedTransaction
from hktoken.deployment.journal import GENESIS_PREFIX_CHARS, write_atomically
from hktoken.deployment.session import genesis_hash
from hktoken.errors import ChainError, HKTokenError, SpecError, TransactionReverted

FORMAT = "hktoken-bulk-run/1"
DIGEST_CHARS = 16

SendHook = Callable[[str, Sequence[SignedTransaction]], None]
"""Called as ``hook(phase, signed)`` after the journal holds ``signed`` and before any of it is sent (tests use it
to stop a run at that point, as a crash would)."""


def input_digest(value: object) -> str:
    """What names a run's journal: the SHA-256 of ``repr(value)``, for a value built from strings, ints, tuples and
    lists only (their ``repr`` is stable across runs and Python versions)."""
    return hashlib.sha256(repr(value).encode()).hexdigest()


def run_path(out: Path, chain_id: int, genesis: str, kind: str, digest: str) -> Path:
    """Where the journal of a run lives."""
    prefix = genesis.removeprefix("0x")[:GENESIS_PREFIX_CHARS]
    return out / "deployments" / f"{chain_id}-{prefix}" / "runs" / f"{kind}-{digest[:DIGEST_CHARS]}.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class BulkJournal:
    """A bulk run's journal on disk and in memory."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @classmethod
    def open(
        cls, path: Path, *, kind: str, chain_id: int, genesis: str, signer: str, target: dict[str, str], digest: str
    ) -> BulkJournal:
        """The journal at ``path`` (new when absent); SpecError when it records another run."""
        if not path.exists():
            return cls(path, {
                "format": FORMAT, "kind": kind, "chain_id": chain_id, "genesis_hash": genesis, "signer": signer,
                "target": target, "input_digest": digest, "created": _now(), "updated": _now(), "transactions": [],
            })  # fmt: skip
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SpecError(f"run journal {path} is unreadable ({exc})", fix="restore it, or move it away") from exc
        expected = {"format": FORMAT, "kind": kind, "chain_id": chain_id, "input_digest": digest}
        for field, value in expected.items():
            if data.get(field) != value:
                raise SpecError(
                    f"run journal {path} records {field} {data.get(field)!r}, not {value!r}",
                    fix="pass another --out, or move the journal away",
                )
        if str(data.get("genesis_hash", "")).lower() != genesis.lower():
            raise SpecError(f"run journal {path} belongs to another chain (genesis {data.get('genesis_hash')})",
                            fix="point --rpc-url at the chain the journal records")  # fmt: skip
        if str(data.get("signer", "")).lower() != signer.lower():
            raise SpecError(f"run journal {path} was started by {data.get('signer')}, not {signer}",
                            fix="sign with the key that started the run")  # fmt: skip
        if data.get("target") != target:
            raise SpecError(f"run journal {path} was for {data.get('target')}, not {target}",
                            fix="pass the contracts the run started with")  # fmt: skip
        return cls(path, data)

    @property
    def transactions(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.data["transactions"]
        return entries

    def entries(self, *, phase: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """The transactions of ``phase`` (all phases when None) with ``status`` (any when None)."""
        return [
            e for e in self.transactions
            if (phase is None or e["phase"] == phase) and (status is None or e["status"] == status)
        ]  # fmt: skip

    def done_rows(self, phase: str) -> set[int]:
        """The rows (the run's own numbering, e.g. CSV lines) carried by a mined, successful transaction of
        ``phase``."""
        rows: set[int] = set()
        for entry in self.entries(phase=phase, status="done"):
            rows.update(entry["rows"])
        return rows

    def record_signed(
        self, phase: str, calls: Sequence[BulkCall], signed: Sequence[SignedTransaction], row_ids: Sequence[int]
    ) -> None:
        """``signed`` (one per call, in order), about to be sent: written before they are. A call's rows are
        ``row_ids[call.first_row : call.first_row + call.row_count]``."""
        for call, tx in zip(calls, signed, strict=True):
            rows = list(row_ids[call.first_row : call.first_row + call.row_count])
            self.transactions.append({
                "phase": phase, "rows": rows, "status": "signed", "tx_hash": tx.tx_hash, "nonce": tx.nonce,
                "gas": tx.gas, "raw_tx": tx.raw, "signed_at": _now(),
            })  # fmt: skip
        self.save()

    def record_receipts(self, receipts: dict[str, dict[str, Any]]) -> None:
        """Mark each entry whose hash has a receipt ``done`` or ``failed``."""
        for entry in self.transactions:
            receipt = receipts.get(entry["tx_hash"])
            if receipt is not None and entry["status"] == "signed":
                ok = int(str(receipt["status"]), 16) == 1
                entry.update(status="done" if ok else "failed", block=int(str(receipt["blockNumber"]), 16),
                             gas_used=int(str(receipt["gasUsed"]), 16))  # fmt: skip
        self.save()

    def record_void(self, hashes: Iterable[str]) -> None:
        """These transactions can never be mined: their nonces were taken by others."""
        void = set(hashes)
        for entry in self.transactions:
            if entry["tx_hash"] in void:
                entry["status"] = "void"
        self.save()

    def save(self) -> None:
        self.data["updated"] = _now()
        write_atomically(self.path, json.dumps(self.data, indent=1) + "\n")


def _signed(entry: dict[str, Any], sender: str) -> SignedTransaction:
    return SignedTransaction(HexStr(entry["raw_tx"]), HexStr(entry["tx_hash"]), int(entry["nonce"]),
                             sender, int(entry["gas"]))  # type: ignore[arg-type]  # fmt: skip


class JournaledRun:
    """Sends the phases of one bulk run through :class:`BulkSender`, journaling every transaction first."""

    def __init__(
        self,
        chain: Chain,
        signer: LocalAccount,
        journal: BulkJournal,
        *,
        sender: BulkSender | None = None,
        on_signed: SendHook | None = None,
    ) -> None:
        self.chain = chain
        self.signer = signer
        self.journal = journal
        self.sender = sender or BulkSender(chain)
        self.on_signed = on_signed
        self.resent = 0
        """Journaled transactions sent again (same bytes) while settling."""
        self.voided = 0
        """Journaled transactions found void (their nonces taken by others) while settling."""
        self.gas_used = 0
        """Gas used by the transactions this object sent (settled ones excluded)."""
        self.receipts: list[dict[str, Any]] = []
        """The raw receipts of the transactions this object sent, in order."""
        self.failed_rows: list[int] = []
        """The rows of the batches that reverted in the last :meth:`send`."""
        self._last_signed: list[SignedTransaction] = []

    @classmethod
    def open(
        cls, chain: Chain, signer: LocalAccount, *, kind: str, out: Path, target: dict[str, str], digest: str,
        sender: BulkSender | None = None, on_signed: SendHook | None = None,
    ) -> JournaledRun:  # fmt: skip
        """The run of ``kind`` over input ``digest`` on this chain (its journal opened or created)."""
        genesis = genesis_hash(chain)
        path = run_path(out, chain.chain_id, genesis, kind, digest)
        journal = BulkJournal.open(path, kind=kind, chain_id=chain.chain_id, genesis=genesis,
                                   signer=signer.address, target=target, digest=digest)  # fmt: skip
        return cls(chain, signer, journal, sender=sender, on_signed=on_signed)

    def in_flight_elsewhere(self) -> list[BulkJournal]:
        """Other run journals in the same folder, by the same signer, with transactions still ``signed``: an
        earlier run over an edited file (another digest) may have left batches in a node's pool."""
        found = []
        for path in sorted(self.journal.path.parent.glob("*.json")):
            if path == self.journal.path:
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if (
                isinstance(data, dict) and data.get("format") == FORMAT
                and str(data.get("signer", "")).lower() == self.signer.address.lower()
                and any(e.get("status") == "signed" for e in data.get("transactions", []))
            ):  # fmt: skip
                found.append(BulkJournal(path, data))
        return found

    def settle(self, progress: Progress | None = None) -> None:
        """Bring every ``signed`` entry to done, failed or void (module docstring), those of this signer's other
        runs in the same folder first; then make sure nothing else of this signer is pending (a journal kept
        elsewhere): on a dev node it is mined, on any other node the run stops with ChainError. Nothing new is
        signed."""
        for other in self.in_flight_elsewhere():
            self._settle(other, progress)
        self._settle(self.journal, progress)
        self._nothing_pending()

    def _nothing_pending(self) -> None:
        eth = self.chain.w3.eth
        address = self.signer.address
        dev_node = self.chain.known_dialect() is not None
        deadline = time.monotonic() + self.sender.deadline_seconds
        while (pending := int(eth.get_transaction_count(address, "pending"))) > (
            latest := int(eth.get_transaction_count(address, "latest"))
        ):
            if not dev_node or time.monotonic() > deadline:
                raise ChainError(
                    f"{pending - latest} transaction(s) from {address} are still pending on the node (nonces "
                    f"{latest} to {pending - 1}), sent by something this run's journals do not know",
                    fix="wait until they are mined (or resume with the --out whose journal holds them), then run "
                    "again: planning now could do their work twice",
                )
            self.chain.rpc("evm_mine")  # a dev node's stalled automine: what the pool holds is this signer's own
            self.sender.nudges += 1

    def _settle(self, journal: BulkJournal, progress: Progress | None) -> None:
        waiting = sorted(journal.entries(status="signed"), key=lambda e: int(e["nonce"]))
        if not waiting:
            return
        # The nonce count first, receipts second: a transaction mined between the two reads then has a receipt,
        # and is never taken for one whose nonce another transaction used.
        latest = int(self.chain.w3.eth.get_transaction_count(self.signer.address, "latest"))
        found = self.sender.receipts([e["tx_hash"] for e in waiting])
        journal.record_receipts({e["tx_hash"]: r for e, r in zip(waiting, found, strict=True) if r is not None})
        unmined = [e for e, r in zip(waiting, found, strict=True) if r is None]
        if not unmined:
            return
        dead = [e for e in unmined if int(e["nonce"]) < latest]
        live = [_signed(e, self.signer.address) for e in unmined if int(e["nonce"]) >= latest]
        if dead:
            self.voided += len(dead)
            journal.record_void(e["tx_hash"] for e in dead)
        if live:
            self.resent += len(live)
            receipts = self.sender.submit_and_gather(live, progress=progress)
            journal.record_receipts({tx.tx_hash: r for tx, r in zip(live, receipts, strict=True)})

    def send(
        self, phase: str, calls: Sequence[BulkCall], row_ids: Sequence[int], progress: Progress | None = None
    ) -> list[SignedTransaction]:
        """Sign ``calls``, journal them (with the run's ids of their rows), send them and wait for all.
        TransactionReverted when one reverted (its rows are not applied; the journal says ``failed``), after the
        others are recorded."""
        if not calls:
            return []
        signed = self.sender.sign_all(self.signer, calls)
        self._last_signed = signed
        self.journal.record_signed(phase, calls, signed, row_ids)
        if self.on_signed is not None:
            self.on_signed(phase, signed)
        receipts = self.sender.submit_and_gather(signed, progress=progress)
        self.journal.record_receipts({tx.tx_hash: r for tx, r in zip(signed, receipts, strict=True)})
        self.gas_used += sum(int(str(r["gasUsed"]), 16) for r in receipts)
        self.receipts.extend(receipts)
        failed = [tx for tx, r in zip(signed, receipts, strict=True) if int(str(r["status"]), 16) != 1]
        self.failed_rows = [
            row for e in self.journal.entries(phase=phase, status="failed")
            if e["tx_hash"] in {tx.tx_hash for tx in failed} for row in e["rows"]
        ]  # fmt: skip
        if failed:
            raise TransactionReverted(
                "BatchReverted",
                {"phase": phase, "reverted": len(failed), "sent": len(signed), "nonce": failed[0].nonce},
                tx_hash=failed[0].tx_hash,
                message=f"{len(failed)} of {len(signed)} {phase} batch transactions reverted on chain (first "
                f"{failed[0].tx_hash}, nonce {failed[0].nonce}); their rows were not applied (the journal says "
                "failed): find the row the contract refuses (a smaller --batch-size narrows it down), correct it, "
                "and run again",
            )
        return signed

    def send_skipping_refused(
        self,
        phase: str,
        rows: Sequence[int],
        plan: Callable[[Sequence[int]], list[BulkCall]],
        to: ChecksumAddress,
        calldata: Callable[[Sequence[int]], str],
        progress: Progress | None = None,
    ) -> tuple[list[SignedTransaction], list[tuple[int, str]]]:
        """:meth:`send` for rows the contract at ``to`` may refuse one by one (a holder the stablecoin blocks, an AP
        it refuses): when a batch reverts, its rows are split by simulating ``calldata(rows)`` from the signer down
        to the refused ones, which are left out and returned with their reason; the rest is planned
        (``plan(rows)``) and sent again. One reverted batch is what finding them costs, and nothing else is held
        up."""
        if not rows:
            return [], []

        def check(batch: Sequence[int]) -> str | None:
            try:
                self.chain.sender.simulate(self.signer, to, HexStr(calldata(batch)))
            except HKTokenError as exc:
                return exc.message
            return None

        refused: list[tuple[int, str]] = []
        try:
            calls = plan(rows)
        except TransactionReverted:  # a refused row among the ones the batch sizing simulates: find them all now
            refused = _refused(rows, check)
            left_out = {row for row, _ in refused}
            rows = [row for row in rows if row not in left_out]
            if not rows:
                return [], refused
            calls = plan(rows)
        try:
            return self.send(phase, calls, rows, progress), refused
        except TransactionReverted as exc:
            if exc.error != "BatchReverted":
                raise
        failed = list(self.failed_rows)
        sent_ok = self._mined_of_last_send()
        refused += _refused(failed, check)
        left_out = {row for row, _ in refused}
        retry = [row for row in failed if row not in left_out]
        if retry:
            sent_ok += self.send(phase, plan(retry), retry, progress)
        return sent_ok, refused

    def logs(self, topic: str) -> list[dict[str, Any]]:
        """The logs with first topic ``topic`` (lower-case hex) in the receipts this object sent."""
        return [log for receipt in self.receipts for log in receipt["logs"]
                if log["topics"] and str(log["topics"][0]).lower() == topic]  # fmt: skip

    def _mined_of_last_send(self) -> list[SignedTransaction]:
        """The transactions of the journal's last :meth:`send` that were mined with status 1."""
        return [tx for tx, r in zip(self._last_signed, self.receipts[-len(self._last_signed):], strict=True)
                if int(str(r["status"]), 16) == 1]  # fmt: skip


def _refused(rows: Sequence[int], check: Callable[[Sequence[int]], str | None]) -> list[tuple[int, str]]:
    """The rows ``check`` refuses on their own, found by halving (log2(n) simulations per refused row)."""
    reason = check(rows)
    if reason is None:
        return []
    if len(rows) == 1:
        return [(rows[0], reason)]
    middle = len(rows) // 2
    return _refused(rows[:middle], check) + _refused(rows[middle:], check)


__all__ = ["FORMAT", "BulkJournal", "JournaledRun", "SendHook", "input_digest", "run_path"]
